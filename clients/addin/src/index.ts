/**
 * The SecureMailMerge license check for the Outlook add-in.
 *
 * `GET /api/license` answers with a certificate: a compact JWS (ES256, `typ` smm-license+jwt)
 * of the answer, which this module verifies offline with WebCrypto (through `jose`) against the
 * service's keys (`GET /api/license/keys`). A valid certificate kept in the add-in's storage
 * answers at once, and the service is asked again in the background; while the service, the
 * network or Entra cannot be reached, the kept certificate answers until it expires.
 */
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";

export const CERTIFICATE_TYPE = "smm-license+jwt";
/** The keys are fetched at most this often (the service lets them be cached for an hour). */
export const KEYS_MAX_AGE_MS = 60 * 60 * 1000;
const CERTIFICATE_ITEM = "smm-license-certificate";
const KEYS_ITEM = "smm-license-keys";

/** Where the add-in keeps things between runs: `OfficeRuntime.storage`, `localStorage`, … */
export interface LicenseStorage {
  getItem(key: string): string | null | undefined | Promise<string | null | undefined>;
  setItem(key: string, value: string): void | Promise<void>;
}

export interface CheckLicenseOptions {
  /** The Office SSO (or nested app authentication) token for the add-in's own API. */
  getAccessToken: () => Promise<string>;
  /** The licensing service's origin, for example https://licenses.securemailmerge.com. */
  serviceUrl: string;
  storage: LicenseStorage;
  /** The add-in's app (client) id: a certificate's `aud`. Default: the access token's audience. */
  clientId?: string;
  /** The signed-in user's address: a certificate's `sub`. Default: the access token's user. */
  user?: string;
  /** A shared mailbox whose license may count for the user (`?mailbox=`). */
  mailbox?: string;
  /** The certificates' `iss`. Default: the origin of `serviceUrl`. */
  issuer?: string;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
}

export type LicenseSource = "certificate" | "service" | "none";

export interface LicenseResult {
  licensed: boolean;
  /** Who the license belongs to: the user, or the shared mailbox that answered. */
  email?: string;
  status?: string;
  subscription?: string;
  /** Why not: `no_license`, `expired` (the service's reasons), or `unverified` when no valid
   * certificate could be had (service unreachable, certificate refused or expired). */
  reason?: string;
  /** When the certificate this answer rests on stops counting. */
  validUntil?: Date;
  /** `certificate`: a kept certificate answered; `service`: a fresh one did. */
  source: LicenseSource;
  /** The background refresh after an answer from a kept certificate. */
  refreshed?: Promise<LicenseResult>;
}

interface Kept {
  certificate: string;
  clientId: string;
  user: string;
}

interface KeptKeys {
  jwks: JSONWebKeySet;
  fetchedAt: number;
}

interface Context {
  options: CheckLicenseOptions;
  fetch: typeof globalThis.fetch;
  now: () => number;
  base: string;
  issuer: string;
}

class Unreachable extends Error {}

/** Whether the add-in's user is licensed; see the module's description. */
export async function checkLicense(options: CheckLicenseOptions): Promise<LicenseResult> {
  const base = options.serviceUrl.replace(/\/+$/, "");
  const context: Context = {
    options,
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    now: options.now ?? Date.now,
    base,
    issuer: options.issuer ?? new URL(base).origin,
  };
  const kept = await readJson<Kept>(options.storage, CERTIFICATE_ITEM);
  if (kept !== undefined) {
    const answer = await fromCertificate(context, kept, "certificate");
    if (answer !== undefined) {
      // Never rejects: while the service cannot be reached, the kept certificate stands.
      const refreshed = fromService(context).catch(() => answer);
      return { ...answer, refreshed };
    }
  }
  try {
    return await fromService(context);
  } catch (error) {
    if (error instanceof Unreachable) return { licensed: false, reason: "unverified", source: "none" };
    throw error;
  }
}

/** Ask the service; keep and answer from its certificate once verified. */
async function fromService(context: Context): Promise<LicenseResult> {
  const { options } = context;
  let token: string;
  try {
    token = await options.getAccessToken();
  } catch {
    throw new Unreachable("no access token");
  }
  const identity = tokenIdentity(token);
  const clientId = options.clientId ?? identity.clientId;
  const user = (options.user ?? identity.user)?.trim().toLowerCase();
  if (!clientId || !user) throw new Unreachable("the token names no audience or user");

  const url = new URL(context.base + "/api/license");
  if (options.mailbox) url.searchParams.set("mailbox", options.mailbox);
  let body: { certificate?: unknown };
  try {
    const response = await context.fetch(url, {
      headers: { Authorization: `Bearer ${token}` },
      cache: "no-store",
    });
    if (!response.ok) throw new Unreachable(`the service answered ${response.status}`);
    body = (await response.json()) as { certificate?: unknown };
  } catch (error) {
    throw error instanceof Unreachable ? error : new Unreachable(String(error));
  }
  if (typeof body.certificate !== "string") {
    return { licensed: false, reason: "unverified", source: "none" };
  }
  const fresh: Kept = { certificate: body.certificate, clientId, user };
  const answer = await fromCertificate(context, fresh, "service");
  if (answer === undefined) {
    // A certificate that does not verify is not kept: the last good one stays.
    return { licensed: false, reason: "unverified", source: "none" };
  }
  await options.storage.setItem(CERTIFICATE_ITEM, JSON.stringify(fresh));
  return answer;
}

/** The answer a certificate gives, or undefined when it does not verify (or has expired). */
async function fromCertificate(
  context: Context,
  kept: Kept,
  source: LicenseSource,
): Promise<LicenseResult | undefined> {
  const { options } = context;
  const clientId = options.clientId ?? kept.clientId;
  const user = options.user?.trim().toLowerCase() ?? kept.user;
  for (const refresh of [false, true]) {
    const jwks = await keys(context, refresh);
    if (jwks === undefined) return undefined;
    try {
      const { payload } = await jwtVerify(kept.certificate, createLocalJWKSet(jwks), {
        algorithms: ["ES256"],
        typ: CERTIFICATE_TYPE,
        audience: clientId,
        issuer: context.issuer,
        subject: user,
        currentDate: new Date(context.now()),
        requiredClaims: ["iat", "nbf", "exp", "licensed"],
      });
      return result(payload, source);
    } catch (error) {
      // A key the kept set lacks (a rotation): fetch the keys again, if an hour has passed.
      if (!refresh && error instanceof errors.JWKSNoMatchingKey) continue;
      return undefined;
    }
  }
  return undefined;
}

function result(payload: JWTPayload, source: LicenseSource): LicenseResult {
  const claims = payload as JWTPayload & Record<string, unknown>;
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  const answer: LicenseResult = {
    licensed: claims.licensed === true,
    email: text(claims.shared_mailbox) ?? claims.sub,
    validUntil: new Date((claims.exp ?? 0) * 1000),
    source,
  };
  if (answer.licensed) {
    answer.status = text(claims.status);
    answer.subscription = text(claims.subscription);
  } else {
    answer.reason = text(claims.reason);
  }
  return answer;
}

/** The service's keys: the kept set while under an hour old, else fetched; when fetching
 * fails, the last good set. `refresh` asks for newer keys than the kept set: undefined while
 * that set is under an hour old, so the keys are never fetched more than hourly. */
async function keys(context: Context, refresh: boolean): Promise<JSONWebKeySet | undefined> {
  const { storage } = context.options;
  const kept = await readJson<KeptKeys>(storage, KEYS_ITEM);
  const now = context.now();
  if (kept !== undefined && now - kept.fetchedAt < KEYS_MAX_AGE_MS) {
    return refresh ? undefined : kept.jwks;
  }
  try {
    const response = await context.fetch(context.base + "/api/license/keys");
    if (!response.ok) return kept?.jwks;
    const jwks = (await response.json()) as JSONWebKeySet;
    if (!Array.isArray(jwks.keys)) return kept?.jwks;
    await storage.setItem(KEYS_ITEM, JSON.stringify({ jwks, fetchedAt: now }));
    return jwks;
  } catch {
    return kept?.jwks;
  }
}

/** The audience (the add-in's client id) and user the access token names, read unverified:
 * the service verifies the token; here they only say what a certificate must be for. */
function tokenIdentity(token: string): { clientId?: string; user?: string } {
  try {
    const payload = JSON.parse(base64UrlDecode(token.split(".")[1] ?? "")) as Record<string, unknown>;
    const aud = typeof payload.aud === "string" ? payload.aud : undefined;
    const user = [payload.preferred_username, payload.upn, payload.email].find(
      (value): value is string => typeof value === "string" && value.includes("@"),
    );
    // v1 tokens carry the App ID URI (api://host/<client id>); v2 tokens the client id.
    const clientId = aud?.startsWith("api://") ? aud.split("/").pop() : aud;
    return { clientId, user };
  } catch {
    return {};
  }
}

function base64UrlDecode(text: string): string {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
}

async function readJson<T>(storage: LicenseStorage, key: string): Promise<T | undefined> {
  try {
    const text = await storage.getItem(key);
    return text ? (JSON.parse(text) as T) : undefined;
  } catch {
    return undefined;
  }
}
