import createClient from "openapi-fetch";
import type { components, paths } from "@/api/schema";

export type Schemas = components["schemas"];
export type Subscription = Schemas["SubscriptionView"];
export type Me = Schemas["Me"];
export type Permission = Schemas["Permission"];

export interface FieldProblem {
  field: string;
  message: string;
}

/** An RFC 9457 problem document from the API, as an error the UI can show. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldProblem[];
  readonly body: Record<string, unknown>;

  constructor(status: number, body: Record<string, unknown>) {
    const title = typeof body.title === "string" ? body.title : defaultTitle(status);
    const detail = typeof body.detail === "string" ? body.detail : title;
    super(detail);
    this.name = "ApiProblem";
    this.status = status;
    this.code = typeof body.code === "string" ? body.code : `http_${status}`;
    this.title = title;
    this.detail = detail;
    this.errors = Array.isArray(body.errors)
      ? body.errors.flatMap((entry: unknown) => {
          if (typeof entry !== "object" || entry === null) return [];
          const { field, message } = entry as { field?: unknown; message?: unknown };
          return typeof message === "string"
            ? [{ field: typeof field === "string" ? field : "", message }]
            : [];
        })
      : [];
    this.body = body;
  }

  /** The message for one field (by its name in the request body), if the API named it. */
  fieldError(field: string): string | undefined {
    return this.errors.find((error) => error.field === field || error.field.startsWith(`${field}[`))
      ?.message;
  }
}

function defaultTitle(status: number): string {
  if (status === 0) return "The service could not be reached. Check your connection and try again.";
  if (status >= 500) return "The service is not available right now. Try again in a moment.";
  return "The request could not be completed.";
}

/** Turns anything a request may answer (a problem document, an HTML page, nothing) into a problem. */
export function toProblem(status: number, body: unknown): ApiProblem {
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    return new ApiProblem(status, body as Record<string, unknown>);
  }
  return new ApiProblem(status, {});
}

export const client = createClient<paths>({ baseUrl: "", credentials: "same-origin" });

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of an openapi-fetch call, or an ApiProblem; a network failure is a problem too. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch {
    throw new ApiProblem(0, {});
  }
  if (!result.response.ok) throw toProblem(result.response.status, result.error);
  return result.data as T;
}

export function isProblem(error: unknown, status?: number, code?: string): error is ApiProblem {
  return (
    error instanceof ApiProblem &&
    (status === undefined || error.status === status) &&
    (code === undefined || error.code === code)
  );
}
