/**
 * What the page may know about where the dashboard server relays to (GET /_dashboard/info): the target's URL,
 * never its key. A types-only module, shared with the page (web/dashboard).
 */
export interface DashboardInfo {
  readonly target: string;
  readonly keyConfigured: boolean;
}

export const INFO_PATH = '/_dashboard/info';
