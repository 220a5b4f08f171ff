import type { BatchRunPage as BatchRunPageBody, ModelList } from '../../../../src/functions/ops/contract';
import { paths } from '../api';
import { Loaded, Page, SelectFilter, SinceFilter, Status, Time } from '../components';
import { listQuery, number } from '../format';
import { useLive } from '../live';
import { href } from '../router';
import { BATCH_STATUSES } from '../vocabulary';
import { BackfillForm } from './model';

export function BatchRunsPage(props: { query: URLSearchParams }) {
  const q = props.query;
  const runs = useLive<BatchRunPageBody>(paths.batchRuns(listQuery(q, ['model', 'status'])));
  const models = useLive<ModelList>(paths.models, 10_000);
  const batchModels = models.data?.models.filter((m) => m.batch).map((m) => m.model) ?? [];
  const backfillModel = q.get('model') ?? batchModels[0];
  return (
    <Page title="Batch runs">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <SelectFilter label="Model" name="model" segments={['batch']} query={q} options={batchModels} />
        <SelectFilter label="Status" name="status" segments={['batch']} query={q} options={BATCH_STATUSES} />
        <SinceFilter segments={['batch']} query={q} />
      </form>
      {backfillModel && (
        <details class="card">
          <summary>Backfill {backfillModel}</summary>
          <BackfillForm model={backfillModel} />
        </details>
      )}
      <Loaded live={runs}>
        {(page) =>
          page.runs.length === 0 ? (
            <p class="muted">No batch runs match.</p>
          ) : (
            <table data-testid="batch-table">
              <thead>
                <tr>
                  <th>Run</th>
                  <th>Model</th>
                  <th>Date</th>
                  <th>Status</th>
                  <th>Progress</th>
                  <th>Rows</th>
                  <th>Rows/s</th>
                  <th>Started</th>
                  <th>Trigger</th>
                </tr>
              </thead>
              <tbody>
                {page.runs.map((r) => (
                  <tr key={r.runId} data-batch-run={r.runId}>
                    <td>
                      <a href={href('batch', r.runId)}>
                        <code>{r.runId}</code>
                      </a>
                    </td>
                    <td>{r.model}</td>
                    <td>{r.date}</td>
                    <td>
                      <Status value={r.status} /> {r.phase && r.phase !== r.status && <small>{r.phase}</small>}
                    </td>
                    <td>
                      <progress max={100} value={r.progress.percent} /> {Math.round(r.progress.percent)} %
                      <div class="muted">
                        {r.progress.miniBatches.done}/{r.progress.miniBatches.total} mini-batches
                        {r.progress.miniBatches.failed > 0 && `, ${r.progress.miniBatches.failed} failed`}
                      </div>
                    </td>
                    <td>
                      {number(r.progress.rows.scored)}
                      {r.progress.rows.total !== undefined && ` / ${number(r.progress.rows.total)}`}
                    </td>
                    <td>{number(r.progress.rowsPerSecond)}</td>
                    <td>
                      <Time iso={r.createdAt} />
                    </td>
                    <td>{r.trigger ?? '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </Page>
  );
}
