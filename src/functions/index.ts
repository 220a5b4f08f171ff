/**
 * Registers every function of the app. Each trigger module registers itself on import; this list is the one
 * place that decides what the app consists of.
 */
export {};
import './timer/batch';
import './eventgrid';
import './webhooks/app';
import './ops/app';
