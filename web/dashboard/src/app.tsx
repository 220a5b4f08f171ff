import type { DashboardInfo } from '../../../src/cli/dashboard/info';
import { paths } from './api';
import { useLive } from './live';
import { BatchRunPage } from './pages/batch-run';
import { BatchRunsPage } from './pages/batch-runs';
import { EndpointPage } from './pages/endpoint';
import { EndpointsPage } from './pages/endpoints';
import { ModelPage } from './pages/model';
import { ModelsPage } from './pages/models';
import { RunPage } from './pages/run';
import { RunsPage } from './pages/runs';
import { TriggersPage } from './pages/triggers';
import { href, type Route, useRoute } from './router';

const SECTIONS = [
  ['runs', 'Runs'],
  ['triggers', 'Triggers'],
  ['models', 'Models'],
  ['endpoints', 'Endpoints'],
  ['batch', 'Batch runs'],
] as const;

function content(route: Route) {
  const [section = 'runs', id] = route.segments;
  switch (section) {
    case 'runs':
      return id ? <RunPage runId={id} /> : <RunsPage query={route.query} />;
    case 'triggers':
      return <TriggersPage query={route.query} />;
    case 'models':
      return id ? <ModelPage model={id} /> : <ModelsPage />;
    case 'endpoints':
      return id ? <EndpointPage endpoint={id} /> : <EndpointsPage />;
    case 'batch':
      return id ? <BatchRunPage runId={id} /> : <BatchRunsPage query={route.query} />;
    default:
      return <p>No such page. Go to the {<a href={href('runs')}>runs</a>}.</p>;
  }
}

export function App() {
  const route = useRoute();
  const info = useLive<DashboardInfo>(paths.info, 30_000);
  const section = route.segments[0] ?? 'runs';
  return (
    <div class="shell">
      <nav class="nav">
        <a class="brand" href={href('runs')}>
          MLOps
        </a>
        {SECTIONS.map(([key, label]) => (
          <a key={key} href={href(key)} class={section === key ? 'active' : ''}>
            {label}
          </a>
        ))}
        <span class="target" title="The function app this dashboard relays to; the key stays in mlops dashboard">
          {info.data ? info.data.target : info.error ? 'dashboard server unreachable' : ''}
        </span>
      </nav>
      <main>{content(route)}</main>
    </div>
  );
}
