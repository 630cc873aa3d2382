/**
 * The template's shipped example app (create_vm, deploy_service and the
 * vm-storage-alert change handler) doubles as the package's test app, so each
 * behaviour is proved with the code a team starts from, defined once.
 */
import app from '../../../../lambda/app.js';

export { app as exampleApp };
