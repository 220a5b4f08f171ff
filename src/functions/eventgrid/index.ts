/**
 * Registers the retrain flow (Event Grid triggers, orchestrations, activities, HTTP operations, reconciler) on
 * import. Dependencies are built on first use from the validated settings and catalog.
 */
import { getAppContext } from '../../app/context';
import { registerRetrainFunctions } from '../../app/retrain';

registerRetrainFunctions(getAppContext);
