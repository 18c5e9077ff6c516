// The API reference page's content, read from the OpenAPI document itself (so the page and the
// document cannot disagree), plus who may use each operation from the permission table.
import { can, ROLE_LABELS, ROLES } from '../auth/permissions.ts';
import { API_OPERATIONS } from './catalogue.ts';
import { PROBLEM_TYPES } from './problems.ts';
import { SCOPE_LABELS, SCOPES } from './token-service.ts';

type Json = Record<string, unknown>;

interface ParameterView {
  name: string;
  in: string;
  required: boolean;
  type: string;
  description: string;
}

function typeOf(schema: Json | undefined): string {
  if (!schema) return '';
  if (Array.isArray(schema.enum)) return `one of ${(schema.enum as string[]).join(', ')}`;
  const type = Array.isArray(schema.type)
    ? (schema.type as string[]).join(' or ')
    : String(schema.type ?? '');
  const extra = [
    schema.format ? `${schema.format}` : '',
    schema.default !== undefined ? `default ${schema.default}` : '',
    schema.maximum !== undefined ? `at most ${schema.maximum}` : '',
  ].filter(Boolean);
  return extra.length > 0 ? `${type} (${extra.join(', ')})` : type;
}

export function docsView(document: Json) {
  const paths = document.paths as Record<string, Record<string, Json>>;
  const operations = API_OPERATIONS.map((op) => {
    const path = op.url.replace(/:(\w+)/g, '{$1}');
    const operation = paths[path]?.[op.method.toLowerCase()] ?? {};
    const parameters = ((operation.parameters ?? []) as Json[]).map(
      (p): ParameterView => ({
        name: String(p.name),
        in: String(p.in),
        required: p.required === true,
        type: typeOf(p.schema as Json | undefined),
        description: String(p.description ?? ''),
      }),
    );
    const body = operation.requestBody as { content?: Record<string, unknown> } | undefined;
    const responses = Object.entries((operation.responses ?? {}) as Record<string, Json>).map(
      ([status, response]) => ({ status, description: String(response.description ?? '').replace(/`/g, '') }),
    );
    return {
      id: op.operationId,
      method: op.method,
      path,
      summary: op.summary,
      // The document's descriptions are CommonMark; the page shows them as plain text.
      description: String(operation.description ?? '').replace(/`/g, ''),
      scope: op.scope,
      roles: ROLES.filter((role) => can(role, 'api.use') && can(role, op.capability)).map(
        (role) => ROLE_LABELS[role],
      ),
      parameters,
      bodyTypes: body?.content ? Object.keys(body.content) : [],
      responses,
    };
  });
  const info = document.info as Json;
  return {
    apiTitle: String(info.title),
    apiVersion: String(info.version),
    operations,
    scopes: SCOPES.map((s) => ({ name: s, text: SCOPE_LABELS[s] })),
    problems: Object.entries(PROBLEM_TYPES).map(([type, title]) => ({ type, title })),
  };
}
