// checkLicense against the real local host (Azurite + the function app), started by
// tests/clients/addin_service.py: by the pytest test that runs these, or here when run alone.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";

import { checkLicense, type CheckLicenseOptions, type LicenseStorage } from "../src/index.js";

interface Service {
  url: string;
  control: string;
  client_id: string;
}

let service: Service;
let child: ChildProcess | undefined;

before(async () => {
  const given = process.env.SMM_ADDIN_SERVICE;
  if (given) {
    service = JSON.parse(given) as Service;
    return;
  }
  const root = resolve(process.cwd(), "../..");
  child = spawn(resolve(root, ".venv/bin/python"), ["-m", "tests.clients.addin_service"], {
    cwd: root,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  service = await new Promise<Service>((done, fail) => {
    lines.once("line", (line) => done(JSON.parse(line) as Service));
    child!.once("exit", (code) => fail(new Error(`the service helper exited (${code})`)));
  });
});

after(async () => {
  await control("/start");
  child?.stdin?.end();
});

class MemoryStorage implements LicenseStorage {
  items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

async function control(path: string, body: object = {}): Promise<void> {
  const response = await fetch(service.control + path, { method: "POST", body: JSON.stringify(body) });
  assert.equal(response.status, 204, path);
}

/** The add-in's token for the user, from the local issuer (POST /api/dev/token). */
function tokens(email: string): () => Promise<string> {
  return async () => {
    const response = await fetch(service.url + "/api/dev/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email }),
    });
    if (!response.ok) throw new Error(`no token: ${response.status}`);
    return ((await response.json()) as { token: string }).token;
  };
}

/** Options for the user, counting the key fetches. */
function options(email: string, storage: LicenseStorage, extra: Partial<CheckLicenseOptions> = {}) {
  const counted = { keyFetches: 0 };
  const counting: typeof fetch = (input, init) => {
    if (String(input).endsWith("/api/license/keys")) counted.keyFetches += 1;
    return fetch(input, init);
  };
  return {
    counted,
    options: {
      getAccessToken: tokens(email),
      serviceUrl: service.url,
      storage,
      clientId: service.client_id,
      fetch: counting,
      ...extra,
    } satisfies CheckLicenseOptions,
  };
}

function kept(storage: MemoryStorage): { certificate: string } {
  return JSON.parse(storage.items.get("smm-license-certificate")!) as { certificate: string };
}

function part(certificate: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(certificate.split(".")[index]!, "base64url").toString());
}

function forged(certificate: string, claims: Record<string, unknown>): string {
  const [header, payload, signature] = certificate.split(".");
  const changed = { ...JSON.parse(Buffer.from(payload!, "base64url").toString()), ...claims };
  return [header, Buffer.from(JSON.stringify(changed)).toString("base64url"), signature].join(".");
}

test("a licensed user is licensed, then answered at once from the kept certificate", async () => {
  await control("/license", { email: "ann@contoso.com" });
  const storage = new MemoryStorage();
  const { options: ann, counted } = options("ann@contoso.com", storage);
  const first = await checkLicense(ann);
  assert.equal(first.licensed, true);
  assert.equal(first.source, "service");
  assert.equal(first.email, "ann@contoso.com");
  assert.equal(first.subscription, "Contoso");
  assert.ok(first.validUntil! > new Date());

  const second = await checkLicense(ann);
  assert.equal(second.source, "certificate");
  assert.equal(second.licensed, true);
  const refreshed = await second.refreshed!;
  assert.equal(refreshed.source, "service");
  assert.equal(refreshed.licensed, true);
  // The keys were fetched once: they are kept for an hour.
  assert.equal(counted.keyFetches, 1);
});

test("a user without a license is not licensed, with the service's reason", async () => {
  const { options: bob } = options("bob@contoso.com", new MemoryStorage());
  const answer = await checkLicense(bob);
  assert.deepEqual(
    { licensed: answer.licensed, reason: answer.reason, source: answer.source },
    { licensed: false, reason: "no_license", source: "service" },
  );
});

test("a tampered certificate is refused, kept or fresh", async () => {
  const storage = new MemoryStorage();
  const { options: dan } = options("dan@contoso.com", storage);
  assert.equal((await checkLicense(dan)).licensed, false);
  const honest = kept(storage).certificate;

  // In the storage: claims changed under the service's signature.
  storage.setItem(
    "smm-license-certificate",
    JSON.stringify({ ...kept(storage), certificate: forged(honest, { licensed: true, reason: undefined }) }),
  );
  await control("/stop");
  try {
    const offline = await checkLicense(dan);
    assert.equal(offline.licensed, false);
    assert.equal(offline.reason, "unverified");
  } finally {
    await control("/start");
  }

  // On the way from the service: refused, and not kept.
  const storage2 = new MemoryStorage();
  const tampering: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (!String(input).includes("/api/license?") && !String(input).endsWith("/api/license")) {
      return response;
    }
    const body = (await response.json()) as { certificate: string };
    body.certificate = forged(body.certificate, { licensed: true });
    return new Response(JSON.stringify(body), { status: 200 });
  };
  const answer = await checkLicense(options("dan@contoso.com", storage2, { fetch: tampering }).options);
  assert.equal(answer.licensed, false);
  assert.equal(answer.reason, "unverified");
  assert.equal(storage2.items.has("smm-license-certificate"), false);
});

test("with the service down, the kept certificate answers until it expires", async () => {
  await control("/license", { email: "eve@contoso.com" });
  const storage = new MemoryStorage();
  const { options: eve } = options("eve@contoso.com", storage);
  const online = await checkLicense(eve);
  assert.equal(online.licensed, true);

  const certificate = kept(storage).certificate;
  await control("/stop");
  try {
    const offline = await checkLicense(eve);
    assert.equal(offline.licensed, true);
    assert.equal(offline.source, "certificate");
    // The background refresh fails; the kept certificate stands.
    assert.equal((await offline.refreshed!).licensed, true);
    assert.equal(kept(storage).certificate, certificate);

    const later = online.validUntil!.getTime() + 1000;
    const expired = await checkLicense({ ...eve, now: () => later });
    assert.equal(expired.licensed, false);
    assert.equal(expired.reason, "unverified");

    const stranger = await checkLicense(options("fay@contoso.com", new MemoryStorage()).options);
    assert.deepEqual({ licensed: stranger.licensed, source: stranger.source }, { licensed: false, source: "none" });
  } finally {
    await control("/start");
  }
});

test("after a key rotation, old and new certificates verify; keys are fetched at most hourly", async () => {
  await control("/license", { email: "gus@contoso.com" });
  const storage = new MemoryStorage();
  const { options: gus, counted } = options("gus@contoso.com", storage);
  assert.equal((await checkLicense(gus)).licensed, true);
  const before = kept(storage).certificate;
  const oldKid = part(before, 0).kid;

  await control("/rotate");
  // Within the hour: the kept certificate answers; the new key is not fetched yet.
  const soon = await checkLicense(gus);
  assert.equal(soon.licensed, true);
  assert.equal(soon.source, "certificate");
  await soon.refreshed;
  assert.equal(counted.keyFetches, 1);
  assert.equal(kept(storage).certificate, before);

  // An hour later the keys are fetched again: the old certificate still verifies (its key is
  // published as the previous one) and the new one, signed by the next key, is kept.
  const hourLater = Date.now() + 61 * 60 * 1000;
  const later = await checkLicense({ ...gus, now: () => hourLater });
  assert.equal(later.licensed, true);
  assert.equal(later.source, "certificate");
  const refreshed = await later.refreshed!;
  assert.equal(refreshed.source, "service");
  assert.equal(refreshed.licensed, true);
  assert.equal(counted.keyFetches, 2);
  const newKid = part(kept(storage).certificate, 0).kid;
  assert.notEqual(newKid, oldKid);
});
