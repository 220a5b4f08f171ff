/**
 * Function app entry point (package.json "main"). Loading it registers all functions with the Functions host;
 * invalid settings or an invalid catalog stop the app here, with a message naming the problem.
 */
import './functions';
