// The web edge of View / Remove Files (schools handbook §5):
//
//   GET  /sent?show=collection|lost-pupils|rejected|collected|quarantined   the files it sent, by state
//   GET  /sent/files/:sentTransferId                 one of them, with its pupils
//   GET  /sent/files/:sentTransferId/remove          "Are you sure?"
//   POST /sent/files/:sentTransferId/remove          removed (while not yet collected)
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SignedInUser } from '../auth/service.ts';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { fieldErrorIn } from '../platform/i18n/catalogue.ts';
import { sentence } from '../platform/words.ts';
import { readSort, type SortKey, sortHeadings } from './download-listing.ts';
import { isSentFilter, type SentFilter, SentService, type Told } from './sent-service.ts';
import { columnsIn, downloadedCopySaid, pupilPageOf, pupilPages, UPLOADER_TOLD_KEYS } from './web.ts';

const listQuery = z.object({
  show: z.string().optional(),
  sort: z.string().optional(),
  order: z.string().optional(),
});
const sentParams = z.object({ sentTransferId: z.string() });

const COLUMNS: { key: SortKey; textKey: string }[] = [
  { key: 'file', textKey: 'transfer.column.file' },
  { key: 'uploaded', textKey: 'transfer.column.uploaded' },
  { key: 'destination', textKey: 'transfer.column.destination' },
];

/** Each filter's name, and what its list says when it is empty. */
const FILTER_KEYS: Record<SentFilter, { label: string; empty: string }> = {
  collection: { label: 'transfer.sent.filter.collection', empty: 'transfer.sent.empty.collection' },
  'lost-pupils': { label: 'transfer.sent.filter.lost-pupils', empty: 'transfer.sent.empty.lost-pupils' },
  rejected: { label: 'transfer.sent.filter.rejected', empty: 'transfer.sent.empty.rejected' },
  collected: { label: 'transfer.sent.filter.collected', empty: 'transfer.sent.empty.collected' },
  quarantined: { label: 'transfer.sent.filter.quarantined', empty: 'transfer.sent.empty.quarantined' },
};
const OFFERED = COLUMNS.map((column) => column.key);

/**
 * What a removal does beside taking the file away, said by the rules that do it (SentFile, SentRemoval):
 * who is emailed (Told: the destination, the forwarding LA) and a lost pupil's record made lost again
 * (with its LA told). To be on the page, done in the answer.
 */
function toldSaid(
  request: FastifyRequest,
  words: 'warning' | 'done',
  file: { lostPupilAgain: boolean; told: Told },
): string[] {
  const said: string[] = [];
  const { destination, destinationDownloadedAt } = file.told;
  if (destination) {
    // "Need do nothing" only for a destination that never downloaded it.
    const key =
      words === 'done'
        ? 'transfer.sent.removed.destination'
        : destinationDownloadedAt
          ? 'transfer.sent.remove.destination-downloaded'
          : 'transfer.sent.remove.destination';
    said.push(request.t(key, { destination: destination.name }));
  }
  if (destination && destinationDownloadedAt)
    said.push(downloadedCopySaid(request, destination, destinationDownloadedAt));
  if (file.told.forwarder) {
    said.push(
      request.t(words === 'warning' ? 'transfer.sent.remove.forwarder' : 'transfer.sent.removed.forwarder', {
        forwarder: file.told.forwarder.name,
      }),
    );
  }
  if (file.lostPupilAgain) {
    said.push(
      request.t(words === 'warning' ? 'transfer.la.delete.lost-again' : 'transfer.la.deleted.lost-again'),
    );
    if (file.told.uploader) {
      said.push(request.t(UPLOADER_TOLD_KEYS[words], { uploader: file.told.uploader.name }));
    }
  }
  return said;
}

export function sentRoutes(deps: Pick<Deps, 'db' | 'files' | 'clock' | 'logger'>): Route[] {
  const service = new SentService(deps);

  const removePage = async (reply: FastifyReply, user: SignedInUser, id: string, errors?: FieldError[]) => {
    // The file alone: its pupils are not on this page (one page of them read, not all).
    const found = await service.file(user, id, 1);
    const { request } = reply;
    const { destination, destinationDownloadedAt } = found.told;
    const warning = found.file.toLostPupils
      ? [
          request.t('transfer.sent.remove.warning-lost-pupils'),
          // The LA that downloaded it without the pupil being found is emailed (decision 79).
          ...(destination && destinationDownloadedAt
            ? [downloadedCopySaid(request, destination, destinationDownloadedAt)]
            : []),
        ].join(' ')
      : [
          request.t('transfer.sent.remove.deleted', { party: found.file.party.name }),
          ...toldSaid(request, 'warning', found),
          request.t('transfer.la.delete.cannot-undo'),
        ].join(' ');
    return reply.page('transfers/views/sent-remove.njk', {
      title: request.t('transfer.sent.remove.title', { filename: found.file.filename }),
      ...found,
      warning,
      errors,
      backLink: { href: `/sent/files/${found.file.id}` },
    });
  };

  return [
    {
      method: 'GET',
      url: '/sent',
      access: 'transfers.sent',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = listQuery.parse(request.query ?? {});
        const offered = service.filtersFor(user);
        const show: SentFilter =
          isSentFilter(query.show) && offered.includes(query.show) ? query.show : 'collection';
        const sort = readSort(query.sort, query.order, OFFERED);
        const files = await service.sent(user, show, sort);
        return reply.page('transfers/views/sent-list.njk', {
          title: request.t('menu.sent'),
          show,
          filter: { label: request.t(FILTER_KEYS[show].label), empty: request.t(FILTER_KEYS[show].empty) },
          filters: offered.map((key) => ({
            key,
            label: request.t(FILTER_KEYS[key].label),
            href: `/sent?show=${key}`,
            current: key === show,
          })),
          files,
          headings: sortHeadings('/sent', sort, columnsIn(request, COLUMNS), { show }),
        });
      },
    },
    {
      method: 'GET',
      url: '/sent/files/:sentTransferId',
      access: 'transfers.sent',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { sentTransferId } = sentParams.parse(request.params ?? {});
        const found = await service.file(user, sentTransferId, pupilPageOf(request));
        const pages = pupilPages(request, `/sent/files/${found.file.id}`, found.pupilPaging);
        if (pages.pastLastPupils) return reply.redirect(pages.pastLastPupils, 303);
        const show: SentFilter =
          found.file.status === 'rejected'
            ? 'rejected'
            : found.file.status === 'collected'
              ? 'collected'
              : found.file.status === 'quarantined'
                ? 'quarantined'
                : found.file.toLostPupils
                  ? 'lost-pupils'
                  : 'collection';
        return reply.page('transfers/views/sent-file.njk', {
          title: found.file.filename,
          ...found,
          ...pages,
          backLink: {
            href: `/sent?show=${show}`,
            text: request.t('transfer.back-to', { page: request.t(FILTER_KEYS[show].label) }),
          },
        });
      },
    },
    {
      method: 'GET',
      url: '/sent/files/:sentTransferId/remove',
      access: 'transfers.sent',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { sentTransferId } = sentParams.parse(request.params ?? {});
        return removePage(reply, user, sentTransferId);
      },
    },
    {
      method: 'POST',
      url: '/sent/files/:sentTransferId/remove',
      access: 'transfers.sent',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { sentTransferId } = sentParams.parse(request.params ?? {});
        try {
          const file = await service.remove(user, sentTransferId);
          // Posted again (Back and Remove, a double click): removed once, and said so.
          const removed = file.toLostPupils
            ? request.t(
                file.already
                  ? 'transfer.sent.removed-lost-pupils-already'
                  : 'transfer.sent.removed-lost-pupils',
                { filename: file.filename },
              )
            : request.t(file.already ? 'transfer.sent.removed-already' : 'transfer.sent.removed', {
                filename: file.filename,
                party: file.party.name,
              });
          // A copy an LA forwarded: that LA is told; a lost pupil's file the LA forwarded: its record is
          // lost again, its file kept (decision 38), and the LA that uploaded it, when another, told.
          const said = [
            removed,
            ...(!file.toLostPupils
              ? toldSaid(request, 'done', file)
              : file.told.destination
                ? // The LA that downloaded it without the pupil being found (decision 79).
                  [
                    request.t('transfer.sent.removed.lost-pupil-downloader', {
                      destination: file.told.destination.name,
                    }),
                  ]
                : []),
          ].join(' ');
          return reply.flash(said).redirect(file.toLostPupils ? '/sent?show=lost-pupils' : '/sent');
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          // Removed meanwhile by someone else (a colleague, the destination's LA): it has no page now, so
          // the list says what happened.
          if (!(await service.stillListed(user, sentTransferId))) {
            const said = error.errors.map((e) => sentence(fieldErrorIn(request.language, e))).join(' ');
            return reply.flash(said, 'important').redirect('/sent');
          }
          return removePage(reply.code(400), user, sentTransferId, error.errors);
        }
      },
    },
  ];
}
