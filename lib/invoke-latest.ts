import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LambdaInvoke, type ScheduleTargetBaseProps } from 'aws-cdk-lib/aws-scheduler-targets';

/**
 * A schedule target that invokes the function itself. The stock LambdaInvoke target also
 * grants every version and alias (`<arn>:*`); schedules here only ever run the unqualified
 * function, so the scheduler role gets exactly that.
 */
export class InvokeLatest extends LambdaInvoke {
  private readonly target: IFunction;

  constructor(fn: IFunction, props: ScheduleTargetBaseProps = {}) {
    super(fn, props);
    this.target = fn;
  }

  protected override addTargetActionToRole(role: IRole): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.target.functionArn] }),
    );
  }
}
