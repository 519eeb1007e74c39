import { useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { Operations as OperationsView } from '../api/types.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ErrorNote } from '../components/error-note.js';
import { ErasureForm } from '../components/erasure-form.js';
import { StateBadge } from '../components/state-badge.js';
import { useLoad } from '../components/use-load.js';
import { formatDuration, formatTime } from '../format.js';

/**
 * What operations watch (GET /v1/admin/operations): the scheduler jobs' last runs in the instance
 * that answered, bindings awaiting reconciliation, the provider's circuit; and a job run on demand.
 */
export function Operations() {
  const ops = useLoad(() => api<OperationsView>('GET', '/v1/admin/operations'), []);
  const [running, setRunning] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [runError, setRunError] = useState<Error | null>(null);

  async function run() {
    const job = running!;
    setRunning(null);
    setRunError(null);
    try {
      const report = await api<{ counts: Record<string, number>; idle: boolean; ms: number }>(
        'POST',
        `/v1/admin/jobs/${job}`,
      );
      setOutcome(`${job}: ${describeCounts(report)} in ${report.ms} ms.`);
    } catch (e) {
      setRunError(e as Error);
    }
    ops.reload();
  }

  const o = ops.data;
  return (
    <section aria-labelledby="ops-title">
      <h1 id="ops-title">Operations</h1>
      <p>
        <button type="button" class="secondary" onClick={ops.reload}>
          Refresh
        </button>{' '}
        {o && <span class="muted small">as of {formatTime(o.at)}</span>}
      </p>
      <ErrorNote error={ops.error} />
      {o && (
        <>
          <div class="tiles">
            <div class="card tile">
              <h2>Provider circuit</h2>
              <p class="big">
                <StateBadge state={o.provider.circuit} />
              </p>
              <p class="muted small">
                QueryCallStatus breaker in this instance (as readiness says).
              </p>
            </div>
            <div class="card tile">
              <h2>Awaiting reconciliation</h2>
              <p class="big" data-testid="awaiting">
                {o.reconciliation.awaiting}
              </p>
              <p class="muted small">
                {o.reconciliation.oldestAgeSeconds === null
                  ? 'Nothing waiting.'
                  : `Oldest waiting ${formatDuration(o.reconciliation.oldestAgeSeconds)}.`}{' '}
                {o.reconciliation.binds} bind outcomes, {o.reconciliation.unbinds} unbinds,{' '}
                {o.reconciliation.providerChecks} provider checks; {o.reconciliation.due} due now,
                the rest waiting out a backoff (most failed attempts: {o.reconciliation.maxAttempts}
                ). Binds younger than {o.reconciliation.graceSeconds} s are left alone.
              </p>
            </div>
          </div>
          <h2>Scheduler jobs</h2>
          <p class="muted small">Last runs in the instance that answered this page.</p>
          <div class="table-wrap">
            <table class="stack-on-phone">
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">Schedule</th>
                  <th scope="col">Last run</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">
                    <span class="visually-hidden">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {o.jobs.map((j) => (
                  <tr key={j.job}>
                    <th scope="row" data-label="Job">
                      {j.job}
                    </th>
                    <td data-label="Schedule">
                      {j.scheduled
                        ? `every ${formatDuration(j.intervalMs / 1000)}`
                        : 'not scheduled'}
                    </td>
                    <td data-label="Last run">
                      {j.running
                        ? 'running now'
                        : j.last
                          ? `${formatTime(j.last.finishedAt)} (${j.last.ms} ms)`
                          : 'none yet'}
                    </td>
                    <td data-label="Outcome">
                      {j.last && <StateBadge state={j.last.status} />}{' '}
                      {j.last?.counts &&
                        describeCounts({ counts: j.last.counts, idle: j.last.idle })}
                      {j.last?.error}
                    </td>
                    <td data-label="">
                      <button
                        type="button"
                        class="secondary small"
                        disabled={j.running}
                        aria-label={`Run ${j.job} now`}
                        onClick={() => setRunning(j.job)}
                      >
                        Run now…
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {outcome && (
            <p class="note" role="status">
              {outcome}
            </p>
          )}
          <ErrorNote error={runError} />
        </>
      )}
      <ErasureForm />
      <ConfirmDialog
        open={running !== null}
        title={`Run ${running ?? ''} now?`}
        confirmLabel="Run"
        onConfirm={() => void run()}
        onCancel={() => setRunning(null)}
      >
        <p>
          One pass of the {running} job runs now in the instance that answers, besides its schedule.
        </p>
      </ConfirmDialog>
    </section>
  );
}

/** A run's counts in words; "nothing to do" when the service says the run was idle. */
function describeCounts(run: { counts: Record<string, number>; idle?: boolean }): string {
  const nonZero = Object.entries(run.counts).filter(([, v]) => v !== 0);
  return run.idle || !nonZero.length
    ? 'nothing to do'
    : nonZero.map(([k, v]) => `${k} ${v}`).join(', ');
}
