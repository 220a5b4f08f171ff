import type { ModelList, RunPage as RunPageBody, TriggerAccepted } from '../../../../src/functions/ops/contract';
import { api, paths } from '../api';
import { ActionButton, Loaded, Page, SelectFilter, SinceFilter, Status, Time } from '../components';
import { between, duration, listQuery } from '../format';
import { useLive } from '../live';
import { href } from '../router';
import { LISTED_RUN_STATUSES, RUN_KINDS } from '../vocabulary';

/** Retrain a model now: the same start/coalesce path as every trigger; the new run shows up in the list live. */
export function RetrainButton(props: { models: readonly string[]; model?: string }) {
  const model = props.model ?? props.models[0];
  if (!model) return null;
  return (
    <ActionButton
      label={props.model ? 'Retrain' : `Retrain ${model}`}
      confirm={`Start a retrain of ${model}? It coalesces with a run in flight.`}
      note="Reason"
      tone="primary"
      testId="retrain"
      run={async (reason) => {
        const r = await api.post<TriggerAccepted>(paths.retrain(model), {
          ...(reason ? { reason } : {}),
          requestedBy: 'dashboard',
        });
        return `${r.outcome}: run ${r.runId}`;
      }}
    />
  );
}

export function RunsPage(props: { query: URLSearchParams }) {
  const q = props.query;
  const runs = useLive<RunPageBody>(paths.runs(listQuery(q, ['model', 'kind', 'status'])));
  const models = useLive<ModelList>(paths.models, 10_000);
  const modelNames = models.data?.models.map((m) => m.model) ?? [];
  const selected = q.get('model') ?? '';

  return (
    <Page title="Runs" actions={<RetrainButton models={selected ? [selected] : modelNames} />}>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <SelectFilter label="Model" name="model" segments={['runs']} query={q} options={modelNames} />
        <SelectFilter label="Kind" name="kind" segments={['runs']} query={q} options={RUN_KINDS} />
        <SelectFilter
          label="Status"
          name="status"
          segments={['runs']}
          query={q}
          options={[['running,awaitingApproval', 'in flight'], ...LISTED_RUN_STATUSES]}
        />
        <SinceFilter segments={['runs']} query={q} />
      </form>
      <Loaded live={runs}>
        {(page) =>
          page.runs.length === 0 ? (
            <p class="muted">No runs match.</p>
          ) : (
            <table data-testid="runs-table">
              <thead>
                <tr>
                  <th>Run</th>
                  <th>Model</th>
                  <th>Kind</th>
                  <th>Stage</th>
                  <th>Status</th>
                  <th>Started</th>
                  <th>Took</th>
                  <th>Trigger</th>
                  <th>Version</th>
                </tr>
              </thead>
              <tbody>
                {page.runs.map((r) => (
                  <tr key={r.runId} data-run-id={r.runId}>
                    <td>
                      <a href={href('runs', r.runId)}>
                        <code>{r.runId}</code>
                      </a>
                    </td>
                    <td>
                      <a href={href('models', r.model)}>{r.model}</a>
                    </td>
                    <td>{r.kind}</td>
                    <td data-column="stage">
                      {r.stage ? (r.fromStage ? `${r.fromStage} → ${r.stage}` : r.stage) : '–'}
                    </td>
                    <td>
                      <Status value={r.status} />
                    </td>
                    <td>
                      <Time iso={r.createdAt} />
                    </td>
                    <td>{duration(between(r.createdAt, r.finishedAt))}</td>
                    <td>
                      {r.trigger?.source ?? '–'}
                      {r.trigger?.git ? ` ${r.trigger.git.repository}@${(r.trigger.git.sha ?? '').slice(0, 7)}` : ''}
                    </td>
                    <td>{r.modelVersion ?? '–'}</td>
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
