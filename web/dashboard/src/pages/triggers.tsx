import type { ModelList, TriggerPage, TriggerView } from '../../../../src/functions/ops/contract';
import { paths } from '../api';
import { Loaded, Page, SelectFilter, SinceFilter, Status, Time } from '../components';
import { listQuery } from '../format';
import { useLive } from '../live';
import { href } from '../router';
import { TRIGGER_FATES } from '../vocabulary';

function input(t: TriggerView) {
  if (t.dataset) return <code title={t.dataset.eTag}>{t.dataset.uri.replace(/^https?:\/\/[^/]+\//, '')}</code>;
  if (t.git) return <code>{`${t.git.repository}${t.git.sha ? `@${t.git.sha.slice(0, 7)}` : ''}`}</code>;
  return t.requestedBy ?? '–';
}

export function TriggersPage(props: { query: URLSearchParams }) {
  const q = props.query;
  const triggers = useLive<TriggerPage>(paths.triggers(listQuery(q, ['model', 'fate'])));
  const models = useLive<ModelList>(paths.models, 10_000);
  const highlighted = q.get('id');
  return (
    <Page title="Triggers and their fate">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <SelectFilter
          label="Model"
          name="model"
          segments={['triggers']}
          query={q}
          options={models.data?.models.map((m) => m.model) ?? []}
        />
        <SelectFilter label="Fate" name="fate" segments={['triggers']} query={q} options={TRIGGER_FATES} />
        <SinceFilter segments={['triggers']} query={q} />
      </form>
      <Loaded live={triggers}>
        {(page) =>
          page.triggers.length === 0 ? (
            <p class="muted">No triggers match.</p>
          ) : (
            <table data-testid="triggers-table">
              <thead>
                <tr>
                  <th>Trigger</th>
                  <th>Model</th>
                  <th>Source</th>
                  <th>Fate</th>
                  <th>Received</th>
                  <th>Input</th>
                  <th>Run / related</th>
                  <th>History</th>
                </tr>
              </thead>
              <tbody>
                {page.triggers.map((t) => (
                  <tr key={t.triggerId} class={t.triggerId === highlighted ? 'highlight' : ''}>
                    <td>
                      <code>{t.triggerId}</code>
                    </td>
                    <td>
                      <a href={href('models', t.model)}>{t.model}</a>
                    </td>
                    <td>{t.source}</td>
                    <td>
                      <Status value={t.fate} />
                    </td>
                    <td>
                      <Time iso={t.receivedAt} />
                    </td>
                    <td>{input(t)}</td>
                    <td>
                      {t.runId ? (
                        <a href={href('runs', t.runId)}>run {t.runId}</a>
                      ) : t.relatedTriggerId ? (
                        <code>{t.relatedTriggerId}</code>
                      ) : (
                        '–'
                      )}
                    </td>
                    <td>
                      <details>
                        <summary>{t.history.length} changes</summary>
                        <ol class="history">
                          {t.history.map((h, i) => (
                            <li key={i}>
                              <Time iso={h.at} /> {h.fate}
                              {h.note ? `: ${h.note}` : ''}
                            </li>
                          ))}
                        </ol>
                      </details>
                    </td>
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
