import type { EndpointList } from '../../../../src/functions/ops/contract';
import { paths } from '../api';
import { Loaded, Page, Status } from '../components';
import { useLive } from '../live';
import { href } from '../router';

export function EndpointsPage() {
  const endpoints = useLive<EndpointList>(paths.endpoints);
  return (
    <Page title="Endpoints">
      <Loaded live={endpoints}>
        {(list) => (
          <table data-testid="endpoints-table">
            <thead>
              <tr>
                <th>Endpoint</th>
                <th>Models</th>
                <th>State</th>
                <th>Auth</th>
                <th>Traffic</th>
              </tr>
            </thead>
            <tbody>
              {list.endpoints.map((e) => (
                <tr key={e.endpoint}>
                  <td>
                    <a href={href('endpoints', e.endpoint)}>{e.endpoint}</a>
                  </td>
                  <td>
                    {e.models.map((m) => (
                      <a key={m} href={href('models', m)}>
                        {m}{' '}
                      </a>
                    ))}
                  </td>
                  <td>
                    {e.exists ? <Status value={e.provisioningState} /> : <span class="muted">not created yet</span>}
                  </td>
                  <td>{e.authMode ?? '–'}</td>
                  <td>
                    {Object.entries(e.traffic)
                      .map(([d, p]) => `${d} ${p} %`)
                      .join(' · ') || '–'}
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
