import type { FastifyInstance } from 'fastify';
import { accessibilityRoutes } from './accessibility/routes.ts';
import { accountsRoutes } from './accounts/routes.ts';
import { apiRoutes } from './api/routes.ts';
import { can } from './auth/permissions.ts';
import { authRoutes } from './auth/routes.ts';
import { formOwner, pageContext, type RouteInfo, registerRoutes, rememberLanguage } from './auth/web.ts';
import { bulkLoadRoutes } from './collect/bulk-routes.ts';
import { collectionRoutes } from './collect/collections-routes.ts';
import { liveCollectionOfReturn } from './collect/collections-service.ts';
import { returnRoutes, uploadReturnPath } from './collect/returns-routes.ts';
import type { Deps } from './deps.ts';
import { directoryRoutes } from './directory/routes.ts';
import { homeRoutes } from './home/routes.ts';
import { lostPupilMatchRoutes } from './lost-pupils/matches-routes.ts';
import { reviewRoutes } from './lost-pupils/review-routes.ts';
import { lostPupilRoutes } from './lost-pupils/routes.ts';
import { messageGroupRoutes } from './messaging/group-routes.ts';
import { messageRoutes } from './messaging/routes.ts';
import { MessagesService } from './messaging/service.ts';
import { messageTemplateRoutes } from './messaging/template-routes.ts';
import { notificationsAdminRoutes } from './notifications/admin-routes.ts';
import { databaseIsReachable } from './platform/db/database.ts';
import type { Scheduler } from './platform/jobs/scheduler.ts';
import { createHttpServer } from './platform/web/http.ts';
import { registerMetrics } from './platform/web/metrics-routes.ts';
import { clusterReportRoutes } from './reports/cluster-routes.ts';
import { directoryReportRoutes } from './reports/directory-report-routes.ts';
import { fileMovementReportRoutes } from './reports/file-movement-routes.ts';
import { lostPupilReportRoutes } from './reports/lost-pupil-report-routes.ts';
import { usageReportRoutes } from './reports/usage-routes.ts';
import { PooledContentChecks } from './transfers/content-check-pool.ts';
import { downloadRoutes } from './transfers/download-routes.ts';
import { laMonitorRoutes } from './transfers/la-monitor-routes.ts';
import { sentRoutes } from './transfers/sent-routes.ts';
import { MAX_FILE_PARTS_READ, uploadRoutes } from './transfers/upload-routes.ts';
import {
  type CensusCollectionFinder,
  MAX_UPLOAD_LIMIT,
  type UploadDeps,
} from './transfers/upload-service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every page route and the capability it needs: the permission test walks this. */
    routeTable: RouteInfo[];
    /** Where uploads' contents are read: worker threads, stopped when the app closes. */
    contentChecks: PooledContentChecks;
  }
  interface FastifyRequest {
    /** Unread messages of the signed-in user's mailbox, for the header of every page. */
    newMessages?: number;
  }
}

export interface AppOptions {
  /**
   * The process's scheduler (built from scheduledJobs(deps)), for the Jobs page's "Run now". Without
   * one, the page builds its own: runs are coordinated through the database, so either way is safe.
   */
  scheduler?: Scheduler;
}

export async function createApp(deps: Deps, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = await createHttpServer({
    logger: deps.logger,
    cookieSecret: deps.cookieSecret,
    trustProxy: deps.config.trustProxy,
    secureCookies: deps.config.serviceUrl.startsWith('https:'),
    requestLimits: deps.config.requestLimits,
    pageContext: (request, path) => ({
      ...pageContext(request, path, deps.config.session.idleMinutes),
      newMessages: request.newMessages,
    }),
    rememberLanguage: rememberLanguage(deps.auth),
    formOwner,
    // One byte past the largest limit: enough for the upload service to see a file is too large.
    // Past MAX_FILES_PER_UPLOAD files, the upload pages and the API name the others without checking them.
    multipart: { maxFileBytes: MAX_UPLOAD_LIMIT + 1, maxFiles: MAX_FILE_PARTS_READ },
  });
  registerMetrics(app, deps.metrics, deps.config.metricsToken);

  // Reading an upload's content is CPU work of tens of milliseconds per file: it runs on worker threads
  // (started with the first uploads), by default one per core but one, so the event loop keeps a core to
  // answer everyone else. On 2 cores, 2 workers uploaded about 5% more but GET /healthz waited 3-6 times
  // longer during uploads than with 1 (docs/benchmarks.md).
  const contentChecks = new PooledContentChecks(deps.config.contentChecks);
  app.decorate('contentChecks', contentChecks);
  deps.metrics?.watchContentChecks(() => contentChecks.stats());
  app.addHook('onClose', () => contentChecks.close());
  // A census return a school sends to its LA as a file is not in COLLECT: the upload says where to load
  // it, from COLLECT's own service and its Upload Return from File page (transfers knows neither).
  const censusCollection: CensusCollectionFinder = async (file) => {
    const collection = await liveCollectionOfReturn(deps.db, deps.clock, file);
    return collection ? { name: collection.name, uploadHref: uploadReturnPath(collection.id) } : null;
  };
  // uploadRoutes hands these deps to the UploadService, which reads contentChecks and censusCollection.
  const uploadDeps: Parameters<typeof uploadRoutes>[0] &
    Pick<UploadDeps, 'contentChecks' | 'censusCollection'> = {
    ...deps,
    contentChecks,
    censusCollection,
  };

  // Census returns loaded into COLLECT are read and checked on the same workers.
  const collectDeps = { ...deps, censusChecks: contentChecks };

  app.get('/healthz', async (_request, reply) => {
    const timeout = AbortSignal.timeout(deps.config.healthCheckTimeoutSeconds * 1000);
    const [database, fileStore] = await Promise.all([
      unlessTimedOut(databaseIsReachable(deps.db), timeout),
      unlessTimedOut(deps.fileStore.isReachable(timeout), timeout),
    ]);
    const ok = database && fileStore;
    return reply
      .code(ok ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({
        status: ok ? 'ok' : 'unavailable',
        database: database ? 'ok' : 'unreachable',
        fileStore: fileStore ? 'ok' : 'unreachable',
      });
  });

  // Handbook §11: "On logging into s2s a warning appears if there are new messages"; the LA notes show it
  // in the top right-hand corner of every page. One indexed count per page (GET) a signed-in user opens.
  const messages = new MessagesService(deps);
  app.decorateRequest('newMessages', undefined);
  app.addHook('preHandler', async (request) => {
    const user = request.user;
    if (request.method !== 'GET' || !user || user.mustChangePassword || !can(user.role, 'messages.use'))
      return;
    request.newMessages = await messages.unreadCount(user);
  });

  const routeTable = registerRoutes(app, deps.auth, [
    ...authRoutes(deps.auth, deps.config.signIn.lockMinutes, deps.oidc),
    ...homeRoutes(deps),
    ...accessibilityRoutes(deps),
    ...directoryRoutes(deps),
    ...accountsRoutes(deps),
    ...downloadRoutes(deps),
    ...laMonitorRoutes(deps),
    ...sentRoutes(deps),
    ...uploadRoutes(uploadDeps),
    ...notificationsAdminRoutes(deps, options.scheduler),
    ...reviewRoutes(deps),
    ...lostPupilRoutes(deps),
    ...lostPupilMatchRoutes(deps),
    ...messageRoutes(deps),
    ...messageTemplateRoutes(deps),
    ...messageGroupRoutes(deps),
    ...usageReportRoutes(deps),
    ...fileMovementReportRoutes(deps),
    ...clusterReportRoutes(deps),
    ...lostPupilReportRoutes(deps),
    ...directoryReportRoutes(deps),
    ...collectionRoutes(deps),
    ...bulkLoadRoutes(collectDeps),
    ...returnRoutes(collectDeps),
    ...apiRoutes(app, { ...collectDeps, contentChecks, censusCollection }),
  ]);
  app.decorate('routeTable', routeTable);
  return app;
}

/** The check's answer, or false once `timeout` has fired without one (what it waits for may go on). */
function unlessTimedOut(check: Promise<boolean>, timeout: AbortSignal): Promise<boolean> {
  if (timeout.aborted) return Promise.resolve(false);
  return Promise.race([
    check,
    new Promise<boolean>((resolve) =>
      timeout.addEventListener('abort', () => resolve(false), { once: true }),
    ),
  ]);
}
