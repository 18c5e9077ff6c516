// Table types for the Kysely query builder. Dates are ISO-8601 UTC strings and flags are 0/1 integers in
// both engines, so feature code never sees a dialect difference.
import type { ColumnType, Generated, Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';

export type Flag = 0 | 1;

export interface LocalAuthorityTable {
  number: string;
  name: string;
  country: 'England' | 'Wales';
  contact_name: string | null;
  email: string | null;
  telephone: string | null;
  address: string | null;
  updated_at: string;
}

export interface EstablishmentTable {
  number: string;
  la_number: string;
  name: string;
  name_search: string;
  town: string | null;
  town_search: string;
  postcode: string | null;
  phase: string | null;
  type: string | null;
  status: 'open' | 'closed';
  urn: string | null;
  uses_s2s: Flag;
  active: Flag;
  email: string | null;
  telephone: string | null;
  opened_on: string | null;
  closed_on: string | null;
  created_at: string;
  updated_at: string;
}

/** A GIAS import's row staged before it is applied (directory/gias-import.ts); deleted once applied. */
export interface EstablishmentImportRowTable {
  import_id: string;
  number: string;
  staged_at: string;
  la_number: string;
  name: string;
  name_search: string;
  town: string | null;
  town_search: string;
  postcode: string | null;
  phase: string | null;
  type: string | null;
  status: 'open' | 'closed';
  urn: string | null;
  uses_s2s: Flag;
  telephone: string | null;
  opened_on: string | null;
  closed_on: string | null;
}

export interface UserTable {
  id: string;
  username: string;
  password_hash: string;
  role: string;
  la_number: string | null;
  establishment_number: string | null;
  full_name: string;
  email: string | null;
  telephone: string | null;
  must_change_password: Flag;
  created_at: string;
  updated_at: string;
  password_changed_at: string;
  last_signed_in_at: string | null;
  deleted_at: string | null;
  /** The language the user chose for pages (and, later, emails): 'en' or 'cy' (migration 015). */
  language: ColumnType<string, string | undefined, string>;
}

export interface SessionTable {
  id: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  /** 1 while the password was right but the second step of two-factor sign-in is still to come. */
  pending_two_factor: ColumnType<Flag, Flag | undefined, Flag>;
  /** How the session was signed in: 'password' or 'oidc' (single sign-on). */
  sign_in_method: ColumnType<string, string | undefined, string>;
  /** 1 when the single sign-on provider said it used more than one factor: it stands for s2s's own. */
  provider_mfa: ColumnType<Flag, Flag | undefined, Flag>;
}

export interface SignInAttemptTable {
  id: string;
  username: string;
  address: string;
  attempted_at: string;
  succeeded: Flag;
}

export interface AuditEventTable {
  id: string;
  occurred_at: string;
  actor_user_id: string | null;
  actor_username: string | null;
  organisation: string | null;
  action: string;
  subject_type: string | null;
  subject_id: string | null;
  detail: string | null;
  /** The place in the hash chain; null until the seal-audit job seals it (src/audit/chain.ts). */
  seq: number | null;
  prev_hash: string | null;
  hash: string | null;
  /** HMAC over the event's fields, made when it was written (migration 036); null on older events. */
  mac: string | null;
  /** The form of the event's MACs (1); null for an event of the old, plain chain. */
  mac_version: number | null;
  /** The master key whose audit key made `mac` and `seal_mac`. */
  mac_key_id: string | null;
  /** HMAC over the event's number and hash (and seal_finding), made when it was sealed. */
  seal_mac: string | null;
  /** Null when the event's MAC verified when it was sealed; otherwise why not (verify names it). */
  seal_finding: string | null;
}

/** One row (id 1): the last sealed event's number and hash. */
export interface AuditChainHeadTable {
  id: number;
  seq: number;
  hash: string;
  /** The last event sealed in the old, plain form: every later one is keyed. Null until keyed. */
  legacy_through: number | null;
  /** HMAC over seq, hash and legacy_through; null on a head not keyed yet. */
  mac: string | null;
  mac_key_id: string | null;
}

/** A break in the audit chain accepted by an operator (migration 039, src/audit/breaks.ts). */
export interface AuditChainBreakTable {
  id: string;
  accepted_at: string;
  /** Who accepted it: 'cli' (the command is run on a server, by someone holding the master key). */
  accepted_by: string;
  /** The operator's reason, as given. */
  reason: string;
  /** What verify found there, as it said it. */
  finding: string;
  /** The last event that verified: events after it, up to resumes_at, are kept as found, unproven. */
  proven_through: number;
  proven_hash: string;
  /** The number sealing started again from, its first event linked to this row's hash. */
  resumes_at: number;
  /** How many sealed events lay between, when it was accepted. */
  unproven_events: number;
  /** The last event sealed in the old, plain form, as the new head says it. */
  legacy_through: number;
  /** The head as it was found. */
  old_head_seq: number;
  old_head_hash: string;
  old_head_legacy_through: number | null;
  old_head_mac: string | null;
  old_head_mac_key_id: string | null;
  /**
   * SHA-256 of the events kept between (keptEventsDigest), as they were when it was accepted; null on a
   * break accepted before migration 041, whose kept events can be counted but not checked.
   */
  kept_digest: string | null;
  /** HMAC over all of the above, under the audit key of mac_key_id. */
  mac: string;
  mac_key_id: string;
}

/**
 * available: offered to its destination; pending-scan: stored, waiting for its malware scan, offered to
 * nobody; quarantined: the scan found malware, never offered (its content is deleted); collected,
 * rejected, removed: what the destination or sender did.
 */
export type TransferStatus =
  | 'available'
  | 'pending-scan'
  | 'quarantined'
  | 'collected'
  | 'rejected'
  | 'removed';

/** The malware scan of a transfer (transfers/scan-service.ts); 'not-scanned' when scanning was off. */
export type ScanStatus = 'not-scanned' | 'pending' | 'clean' | 'infected';

export interface TransferTable {
  id: string;
  filename: string;
  /** The Upload menu item it came through: ctf, plasc, cfr, generic, exclusion, admissions. */
  category: string;
  /** What the filename rules classified it as. */
  kind: string;
  type_code: string | null;
  source_la: string;
  source_school: string | null;
  source_inbox: string | null;
  dest_kind: 'school' | 'la' | 'la-inbox' | 'lost-pupils';
  dest_la: string | null;
  dest_school: string | null;
  dest_inbox: string | null;
  lost_reason: string | null;
  uploaded_by: string;
  uploaded_at: string;
  size: number;
  sha256: string;
  /** Null once the content has been purged (metadata stays for reports and audit). */
  storage_key: string | null;
  wrapped_key: string | null;
  master_key_id: string | null;
  pupil_count: number;
  status: TransferStatus;
  first_downloaded_at: string | null;
  last_downloaded_at: string | null;
  downloaded_by: string | null;
  collected_at: string | null;
  rejected_at: string | null;
  rejected_by: string | null;
  reject_reason: string | null;
  removed_at: string | null;
  removed_by: string | null;
  purged_at: string | null;
  forwarded_from: string | null;
  /** A forwarded copy's: the number of the LA whose user forwarded it (forward-service.ts). */
  forwarding_la: string | null;
  scan_status: Generated<ScanStatus>;
  scanned_at: string | null;
  /** The name clamd gave what it found, for a quarantined file. */
  scan_signature: string | null;
}

export interface TransferPupilTable {
  transfer_id: string;
  position: number;
  upn: string | null;
  former_upn: string | null;
  surname: string | null;
  former_surname: string | null;
  forename: string | null;
  middle_names: string | null;
  date_of_birth: string | null;
  sex: string | null;
}

export interface NotificationOutboxTable {
  id: string;
  created_at: string;
  /** Which email: 'ctf-uploaded', 'upload-confirmed', 'file-downloaded', 'file-rejected', 'upload-refused'... */
  template: string;
  /**
   * Who receives it: an organisation's address ('school', 'la') or a user's ('user'); 'user-at': a user
   * (`recipient`, their id) at the address the payload gives as `address` (decision 78).
   */
  recipient_kind: 'school' | 'la' | 'user' | 'user-at';
  recipient: string;
  /** JSON facts for the template: filenames, organisation names, reasons. Never pupil data. */
  payload: string;
  /**
   * pending: waiting to be sent (again); sent: the mail server took it (or, with the mail log, it was
   * written there); failed: given up (the server refused it for good, or kept failing for too long);
   * no-address: the recipient has no email address in the directory (reported to the LA).
   */
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string;
  /** When an administrator last sent it again (null: never; it was queued at created_at). */
  queued_at: string | null;
  /**
   * When it failed (status failed or no-address); null otherwise, and where not recorded (a failure an
   * earlier version recorded during a rolling release).
   */
  failed_at: string | null;
  /** When the failure it was last sent again from happened (null: never sent again, or not recorded). */
  previous_failed_at: string | null;
  last_error: string | null;
  sent_at: string | null;
  /** The address it was sent to, and its subject, filled in when it is sent. */
  to_address: string | null;
  subject: string | null;
  /**
   * The language it was sent in ('en', 'cy', 'bilingual'), filled in with the subject (migration 054):
   * null until sent, and for emails sent before it.
   */
  language: string | null;
  /** What the mail server answered when it took the message. */
  server_response: string | null;
  /** The process sending it now, and until when others leave it alone. */
  lease_owner: string | null;
  lease_until: string | null;
  /** Set for notifications that must be written once only (a weekly reminder per recipient and week). */
  dedupe_key: string | null;
}

export type OutboxStatus = 'pending' | 'sent' | 'failed' | 'no-address';

export interface JobRunTable {
  id: string;
  job: string;
  /** The scheduled time this run is for (ISO), or 'manual:<id>' for a run started by hand. */
  slot: string;
  trigger: 'schedule' | 'manual';
  /** The process running it (host:pid:random). */
  owner: string;
  started_at: string;
  /** A running job renews this; a run whose lease has passed was abandoned (its process stopped). */
  lease_until: string;
  finished_at: string | null;
  status: 'running' | 'succeeded' | 'failed' | 'abandoned';
  attempts: number;
  /** What it did, in a sentence, in English. */
  summary: string | null;
  /** The same as a catalogue message (JSON), for the jobs page; null for runs recorded before it was kept. */
  summary_message: string | null;
  error: string | null;
}

export interface LostPupilTable {
  id: string;
  transfer_id: string;
  /** Why the pupil is in the database: XXXXXXXX or MMMMMMMM. */
  reason: 'destination-unknown' | 'left-maintained-sector';
  upn: string | null;
  former_upn: string | null;
  surname: string | null;
  former_surname: string | null;
  forename: string | null;
  middle_names: string | null;
  /** Upper-case letters only (lost-pupils/phonetics.ts nameLetters), for "Surname Begins" and sorting. */
  surname_letters: string;
  former_surname_letters: string;
  forename_letters: string;
  town_letters: string;
  date_of_birth: string | null;
  birth_year: number | null;
  birth_month: number | null;
  birth_day: number | null;
  gender: string | null;
  town: string | null;
  source_la: string;
  source_school: string | null;
  uploaded_at: string;
  /** When the pupil passes statutory school-leaving age (the review of records to remove). */
  leaves_school_on: string | null;
  /** lost: in the database; found: an LA downloaded or forwarded it; removed: an LA removed it. */
  status: 'lost' | 'found' | 'removed';
  found_at: string | null;
  found_by_la: string | null;
  found_by: string | null;
  removed_at: string | null;
  removed_by: string | null;
  removal_reason: string | null;
}

/** A user's latest download of a lost pupil's file from the database (migration 057). */
export interface LostPupilDownloadTable {
  lost_pupil_id: string;
  user_id: string;
  downloaded_at: string;
}

export interface LostPupilKeyTable {
  /** A soundalike key of the surname or former surname ('dm:SM0', 'sx:S530'). */
  key: string;
  lost_pupil_id: string;
  /** The record's birth date parts, forename and town letters, copied so a key narrows by them in its indexes. */
  birth_year: number | null;
  birth_month: number | null;
  birth_day: number | null;
  forename_letters: string;
  town_letters: string;
}

export interface LostPupilMatchTable {
  id: string;
  lost_pupil_id: string;
  /** Where the pupil was seen: an incoming file (a CTF, or a census return sent as a file)... */
  transfer_id: string | null;
  /** ...or a census return loaded into COLLECT (exactly one of the two). */
  census_return_id: string | null;
  /** The record's LA (lost_pupils.source_la), whose lost-pupil users follow the case up. Null when written by a version before 022. */
  lost_la: string | null;
  matched_on: 'upn' | 'former-upn' | 'name-dob';
  /** Where the pupil was seen: the school a CTF goes to, or the school a census return comes from. */
  seen_at_la: string | null;
  seen_at_school: string | null;
  /**
   * The pupil as the incoming file gave them (migration 053), to check the match against the record:
   * cleared when the case is closed; null on matches made before.
   */
  seen_upn: string | null;
  seen_former_upn: string | null;
  seen_surname: string | null;
  seen_forename: string | null;
  /** YYYY-MM-DD. */
  seen_date_of_birth: string | null;
  matched_at: string;
  /** open: to follow up; closed: the LA followed it up (outcome says how). */
  status: 'open' | 'closed';
  closed_at: string | null;
  closed_by: string | null;
  outcome: 'found' | 'not-the-pupil' | null;
}

export interface MessageTable {
  id: string;
  sender_user_id: string;
  sender_mailbox: string;
  sender_label: string;
  description: string;
  body: string;
  delivery: 'message' | 'email';
  in_reply_to: string | null;
  sent_at: string;
}

export interface MessageRecipientTable {
  message_id: string;
  mailbox: string;
  label: string;
  la_number: string | null;
  establishment_number: string | null;
  /** The message's, for the LA's message report; none on a copy written by a node before migration 044. */
  delivery: 'message' | 'email' | null;
  sent_at: string | null;
  read_at: string | null;
  read_by: string | null;
  removed_at: string | null;
  removed_reason: 'deleted' | 'expired' | null;
}

export interface MessageTemplateTable {
  id: string;
  name: string;
  description: string;
  body: string;
  owner_kind: 'user' | 'la' | 'national';
  owner_la: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface MessageGroupTable {
  id: string;
  owner_user_id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface MessageGroupMemberTable {
  group_id: string;
  mailbox: string;
}

export interface DataCollectionTable {
  id: string;
  name: string;
  term: 'AUT' | 'SPR' | 'SUM';
  year: string;
  reference_date: string;
  open_date: string;
  due_date: string;
  all_las: number;
  closed_at: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface DataCollectionLaTable {
  collection_id: string;
  la_number: string;
}

export type CensusReturnStatus = 'loaded' | 'submitted' | 'returned' | 'approved' | 'replaced';

export interface CensusReturnTable {
  id: string;
  collection_id: string;
  establishment_number: string;
  la_number: string;
  version: number;
  filename: string;
  status: CensusReturnStatus;
  error_count: number;
  query_count: number;
  pupil_count: number;
  /** JSON of ReturnDetails (collect/census-check.ts). */
  school_details: string;
  size: number;
  sha256: string;
  storage_key: string;
  wrapped_key: string;
  master_key_id: string;
  uploaded_by: string;
  uploaded_by_scope: 'school' | 'la';
  uploaded_at: string;
  submitted_at: string | null;
  approved_at: string | null;
  replaced_at: string | null;
}

export interface CensusReturnFindingTable {
  id: string;
  return_id: string;
  position: number;
  rule: string;
  kind: 'error' | 'query';
  level: string;
  message: string;
  guidance: string;
  detail: string | null;
  /** The message, guidance and detail as catalogue messages (JSON: FindingMessages); null before 017. */
  messages: string | null;
  pupils: string;
  answer: string | null;
  answered_by: string | null;
  answered_at: string | null;
}

export interface CensusReturnEventTable {
  id: string;
  return_id: string;
  at: string;
  user_id: string;
  user_name: string;
  actor_scope: 'school' | 'la' | 'national';
  action: string;
  note: string | null;
}

/** Personal API tokens (issue 10): a hash of the token, never the token. */
export interface ApiTokenTable {
  id: string;
  user_id: string;
  name: string;
  /** Space-separated scopes: read, transfer, admin. */
  scopes: string;
  token_hash: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
}

/** A user's TOTP secret, sealed under its own data key, which the master key wraps. */
export interface TwoFactorSecretTable {
  user_id: string;
  secret_ciphertext: string;
  wrapped_key: string;
  master_key_id: string;
  created_at: string;
  /** Null while being set up: the secret counts once a code from it has been entered. */
  confirmed_at: string | null;
  /** The last TOTP time step accepted (a code of that step or earlier is refused: replay). */
  last_used_step: number | null;
}

/** Single-use recovery codes: SHA-256 of each 80-bit random code, never the code. */
export interface TwoFactorRecoveryCodeTable {
  id: string;
  user_id: string;
  code_hash: string;
  created_at: string;
  used_at: string | null;
}

/** An identity at the single sign-on provider (issuer + subject) linked to an s2s account. */
export interface OidcIdentityTable {
  id: string;
  issuer: string;
  subject: string;
  user_id: string;
  /** The verified email address a first sign-in was matched by. */
  linked_email: string | null;
  linked_at: string;
  last_used_at: string | null;
}

/** Requests counted per key (an API token's id) in one fixed window, shared by every app process. */
export interface RateLimitTable {
  key: string;
  window_start: string;
  /** The window's end: the row is deleted after it. */
  expires_at: string;
  count: number;
}

export interface Database {
  local_authorities: LocalAuthorityTable;
  establishments: EstablishmentTable;
  establishment_import_rows: EstablishmentImportRowTable;
  users: UserTable;
  sessions: SessionTable;
  sign_in_attempts: SignInAttemptTable;
  two_factor_secrets: TwoFactorSecretTable;
  two_factor_recovery_codes: TwoFactorRecoveryCodeTable;
  audit_events: AuditEventTable;
  audit_chain_head: AuditChainHeadTable;
  audit_chain_breaks: AuditChainBreakTable;
  transfers: TransferTable;
  transfer_pupils: TransferPupilTable;
  notification_outbox: NotificationOutboxTable;
  job_runs: JobRunTable;
  lost_pupils: LostPupilTable;
  lost_pupil_keys: LostPupilKeyTable;
  lost_pupil_downloads: LostPupilDownloadTable;
  lost_pupil_matches: LostPupilMatchTable;
  messages: MessageTable;
  message_recipients: MessageRecipientTable;
  message_templates: MessageTemplateTable;
  message_groups: MessageGroupTable;
  message_group_members: MessageGroupMemberTable;
  data_collections: DataCollectionTable;
  data_collection_las: DataCollectionLaTable;
  census_returns: CensusReturnTable;
  census_return_findings: CensusReturnFindingTable;
  census_return_events: CensusReturnEventTable;
  api_tokens: ApiTokenTable;
  oidc_identities: OidcIdentityTable;
  rate_limits: RateLimitTable;
}

export type Db = Kysely<Database>;
/** A database handle or an open transaction: repository methods accept either. */
export type Executor = Kysely<Database> | Transaction<Database>;

export type LocalAuthorityRow = Selectable<LocalAuthorityTable>;
export type OidcIdentityRow = Selectable<OidcIdentityTable>;
export type JobRunRow = Selectable<JobRunTable>;
export type LostPupilRow = Selectable<LostPupilTable>;
export type LostPupilMatchRow = Selectable<LostPupilMatchTable>;
export type EstablishmentRow = Selectable<EstablishmentTable>;
export type NewEstablishment = Insertable<EstablishmentTable>;
export type EstablishmentUpdate = Updateable<EstablishmentTable>;
export type NewEstablishmentImportRow = Insertable<EstablishmentImportRowTable>;
export type UserRow = Selectable<UserTable>;
export type TwoFactorSecretRow = Selectable<TwoFactorSecretTable>;
export type AuditEventRow = Selectable<AuditEventTable>;
export type AuditChainBreakRow = Selectable<AuditChainBreakTable>;
export type TransferRow = Selectable<TransferTable>;
export type TransferPupilRow = Selectable<TransferPupilTable>;
export type OutboxRow = Selectable<NotificationOutboxTable>;
export type MessageRow = Selectable<MessageTable>;
export type MessageRecipientRow = Selectable<MessageRecipientTable>;
export type MessageTemplateRow = Selectable<MessageTemplateTable>;
export type MessageGroupRow = Selectable<MessageGroupTable>;
export type DataCollectionRow = Selectable<DataCollectionTable>;
export type CensusReturnRow = Selectable<CensusReturnTable>;
export type CensusReturnFindingRow = Selectable<CensusReturnFindingTable>;
export type CensusReturnEventRow = Selectable<CensusReturnEventTable>;
export type ApiTokenRow = Selectable<ApiTokenTable>;
