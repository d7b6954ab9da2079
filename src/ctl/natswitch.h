/* natswitch.h — a vpc update that changes NatGateways from 1 or 2 to 0 while the container
 * stack runs in the private subnets: the change set removes their routes out (to the NAT
 * gateways), so SSM, ECR and CloudWatch Logs become unreachable for the tasks (only
 * DynamoDB still works, through the gateway endpoint) and every new task, scale-out and
 * rollback fails until the container stack is deployed again. Such an update is refused
 * with the exact commands of the safe order: publish the service's new subnets and public
 * IP, deploy the container stack (its tasks move to the public subnets), then remove the
 * NAT. Once the service runs in the public subnets with a public IP, the same update goes
 * ahead. The reverse switch (0 → 1 or 2) is safe in the plain order — the vpc stack adds
 * the NAT and its routes before anything uses them — and is followed by a note that the
 * container stack must be deployed to move into the private subnets.
 */
#ifndef NATSWITCH_H
#define NATSWITCH_H

#include "cfn.h"
#include "ctl.h"
#include "params.h"

/* For the vpc stack's update (deployed: the stack as deployed; ps: the parameters sent;
 * cs: its change set): CTL_OK to go on (with the note printed for 0 → N), CTL_FAILED after
 * printing why the switch would cut the running service off and the commands to do it
 * safely. Other stacks and updates that keep the NAT mode: CTL_OK, nothing printed. */
ctl_outcome natswitch_check(ctl_ctx *ctx, aws_client *c, const cfn_stack *deployed,
			    const params *ps, const cfn_change_set *cs);

#endif
