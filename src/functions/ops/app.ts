/**
 * Registers the operations API and the OpenAPI document on import, over the shared app context (built on first
 * use from the validated settings and catalog).
 */
import { getAppContext } from '../../app/context';
import { registerOpsFunctions } from './register';
import { operationsService } from './operations-service';

registerOpsFunctions((client) => operationsService(getAppContext(), client));
