import { Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ConflictError, DomainError, NotFoundError } from '../common/errors/domain-error.js';
import { JobRunner } from './job-runner.js';
import { JOB_NAMES, SCHEDULED_JOBS, type JobReport, type ScheduledJob } from './scheduled-job.js';
import { ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/roles.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';

/**
 * Runs one pass of a job now, whether or not it is scheduled: operations use it after an
 * incident (reconcile right after a restart), and it shares the runner's no-overlap guard.
 */
@ApiTags('admin')
@Roles('admin')
@ApiErrors(404, 409)
@Controller('v1/admin/jobs')
export class JobsController {
  constructor(
    @Inject(SCHEDULED_JOBS) private readonly jobs: ScheduledJob[],
    private readonly runner: JobRunner,
  ) {}

  /** 200 with the run's counts; 409 while a pass of the job is running here; 500 if it failed. */
  @Post(':name')
  @HttpCode(200)
  async run(@Param('name') name: string): Promise<JobReport> {
    const job = this.jobs.find((j) => j.name === name);
    if (!job) throw new NotFoundError('Job', { name, jobs: JOB_NAMES });
    const report = await this.runner.run(job);
    if (report.status === 'skipped') {
      throw new ConflictError('JOB_RUNNING', `A run of ${name} is already in progress`, { name });
    }
    if (report.status === 'failed') {
      throw new DomainError('JOB_FAILED', `The run of ${name} failed: ${report.error}`, 500, {
        name,
      });
    }
    return report;
  }
}
