#!/bin/sh
# counter_process.sh COUNTFILE EXPIRATION — a credential_process for tests: prints
# credentials whose key id counts its runs (ASIAFAKE0001, ...); exits 3 while
# COUNTFILE.fail exists, so tests can make a refresh fail.
f="$1"
n=$(cat "$f" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "$f"
if [ -e "$f.fail" ]; then
	echo "counter_process: told to fail" >&2
	exit 3
fi
printf '{"Version": 1, "AccessKeyId": "ASIAFAKE%04d", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "SessionToken": "FAKETOKEN%d", "Expiration": "%s"}\n' "$n" "$n" "$2"
