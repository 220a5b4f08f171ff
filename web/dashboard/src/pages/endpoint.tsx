import type { ChartConfiguration } from 'chart.js';

import type { EndpointDetail } from '../../../../src/functions/ops/contract';
import { paths } from '../api';
import { ChartView, palette } from '../charts';
import { Facts, Loaded, Page, Status, Time } from '../components';
import { useLive } from '../live';
import { href } from '../router';

function trafficChart(e: EndpointDetail): ChartConfiguration<'doughnut'> {
  const entries = Object.entries(e.traffic).filter(([, p]) => p > 0);
  return {
    type: 'doughnut',
    data: {
      labels: entries.map(([d]) => d),
      datasets: [
        { data: entries.map(([, p]) => p), backgroundColor: entries.map((_, i) => palette[i % palette.length] ?? '') },
      ],
    },
    options: { plugins: { legend: { position: 'bottom' } } },
  };
}

export function EndpointPage(props: { endpoint: string }) {
  const live = useLive<EndpointDetail>(paths.endpoint(props.endpoint));
  return (
    <Loaded live={live}>
      {(e) => (
        <Page
          title={
            <>
              Endpoint {e.endpoint} {e.exists ? <Status value={e.provisioningState} /> : <small>not created yet</small>}
            </>
          }
        >
          <Facts
            items={[
              [
                'Models',
                e.models.map((m) => (
                  <a key={m} href={href('models', m)}>
                    {m}{' '}
                  </a>
                )),
              ],
              ['Auth mode', e.authMode],
              ['Scoring URI', e.scoringUri && <code>{e.scoringUri}</code>],
              ['Live deployment', e.liveDeployment],
            ]}
          />
          <section class="card">
            <h2>Traffic split</h2>
            {Object.values(e.traffic).some((p) => p > 0) ? (
              <ChartView config={trafficChart(e)} height={200} label="Traffic by deployment" testId="traffic-chart" />
            ) : (
              <p class="muted">No traffic.</p>
            )}
          </section>
          <section class="card">
            <h2>Deployments</h2>
            <table data-testid="deployments-table">
              <thead>
                <tr>
                  <th>Deployment</th>
                  <th>Model version</th>
                  <th>State</th>
                  <th>Traffic</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {e.deployments.map((d) => (
                  <tr key={d.deployment} data-deployment={d.deployment} data-traffic={d.trafficPercent}>
                    <td>
                      {d.deployment}
                      {!d.managed && <span class="muted"> (not the orchestrator's)</span>}
                    </td>
                    <td>{d.model ? `${d.model}:${d.modelVersion ?? '?'}` : '–'}</td>
                    <td>
                      <Status value={d.provisioningState} />
                    </td>
                    <td>{d.trafficPercent} %</td>
                    <td>
                      <Time iso={d.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </Page>
      )}
    </Loaded>
  );
}
