import type { ModelList } from '../../../../src/functions/ops/contract';
import { paths } from '../api';
import { Loaded, Page, Status, Time } from '../components';
import { useLive } from '../live';
import { href } from '../router';

export function ModelsPage() {
  const models = useLive<ModelList>(paths.models);
  return (
    <Page title="Models">
      <Loaded live={models}>
        {(list) => (
          <table data-testid="models-table">
            <thead>
              <tr>
                <th>Model</th>
                <th>Live version</th>
                <th>Stages</th>
                <th>Latest</th>
                <th>Versions</th>
                <th>Endpoint</th>
                <th>Approval</th>
                <th>Batch</th>
                <th>Last run</th>
              </tr>
            </thead>
            <tbody>
              {list.models.map((m) => (
                <tr key={m.model}>
                  <td>
                    <a href={href('models', m.model)}>{m.model}</a>
                    {m.description && <div class="muted">{m.description}</div>}
                  </td>
                  <td>{m.liveVersion ? `${m.liveVersion} (${m.liveDeployment ?? '?'})` : '–'}</td>
                  <td data-column="stages">
                    {m.stages?.length
                      ? m.stages.map((st, i) => (
                          <span key={st.stage} title={`${st.endpoint}${st.workspace ? ` in ${st.workspace}` : ''}`}>
                            {i > 0 ? ' → ' : ''}
                            {st.stage}: {st.liveVersion ?? '–'}
                          </span>
                        ))
                      : '–'}
                  </td>
                  <td>{m.latestVersion ?? '–'}</td>
                  <td>{m.versions}</td>
                  <td>
                    <a href={href('endpoints', m.endpoint)}>{m.endpoint}</a>
                  </td>
                  <td>{m.approvalRequired ? 'required' : 'no'}</td>
                  <td>{m.batch ? <a href={href('batch', new URLSearchParams({ model: m.model }))}>yes</a> : 'no'}</td>
                  <td>
                    {m.lastRun ? (
                      <>
                        <a href={href('runs', m.lastRun.runId)}>{m.lastRun.kind}</a> <Status value={m.lastRun.status} />{' '}
                        <Time iso={m.lastRun.createdAt} />
                      </>
                    ) : (
                      '–'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
    </Page>
  );
}
