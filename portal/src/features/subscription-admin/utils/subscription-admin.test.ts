import { describe, expect, it } from "vitest";
import { actionWords, actorWords } from "./activity";
import { domainProblem, parseDomains } from "./domains";
import { permissionNames, withView } from "./permissions";
import { newQuantityProblem, quantityHint } from "./quantity";
import { retryAt, tryAgainWords } from "./retry-after";

describe("actionWords", () => {
  it("names the log's actions as a person would", () => {
    expect(actionWords("license.assigned")).toBe("Assigned license");
    expect(actionWords("licenses_assigned")).toBe("Assigned licenses");
    expect(actionWords("quantity_changed")).toBe("Changed number of licenses");
    expect(actionWords("administrator_invited")).toBe("Invited administrator");
  });

  it("keeps an unknown action readable", () => {
    expect(actionWords("seat_party_thrown")).toBe("Seat party thrown");
    expect(actionWords("")).toBe("");
  });

  it("names the service's own actors", () => {
    expect(actorWords("stripe")).toBe("Payments");
    expect(actorWords("ann@contoso.com")).toBe("ann@contoso.com");
    const keys = new Map([["k1", "Provisioning"]]);
    expect(actorWords("api-key:k1", keys)).toBe("API key “Provisioning”");
    expect(actorWords("api-key:gone", keys)).toBe("API key (revoked)");
    expect(actorWords("api-key:k1")).toBe("API key");
  });
});

describe("parseDomains", () => {
  it("takes domains as people type them, once each", () => {
    expect(parseDomains(" Contoso.com\n@fabrikam.com, contoso.com; northwind.example.org. ")).toEqual([
      "contoso.com",
      "fabrikam.com",
      "northwind.example.org",
    ]);
    expect(parseDomains("  \n ")).toEqual([]);
  });

  it("says why a domain cannot be used", () => {
    expect(domainProblem("contoso.com")).toBeUndefined();
    expect(domainProblem("ann@contoso.com")).toMatch(/after @/);
    expect(domainProblem("contoso")).toMatch(/not a domain/);
    expect(domainProblem("-bad.com")).toMatch(/not a domain/);
    expect(domainProblem("gmail.com")).toMatch(/public email provider/);
    expect(domainProblem("intranet.local")).toMatch(/not a public/);
  });
});

describe("permissions", () => {
  it("names permissions as the guide does, view always held", () => {
    expect(permissionNames(["billing", "assign"])).toEqual([
      "Assign/Unassign licenses",
      "View subscription",
      "Manage billing",
    ]);
  });

  it("always sends view", () => {
    expect(withView(["quantity"])).toEqual(["view", "quantity"]);
    expect(withView([])).toEqual(["view"]);
  });
});

describe("newQuantityProblem", () => {
  it("refuses fewer licenses than are assigned, saying why", () => {
    expect(newQuantityProblem("11", 12)).toBe("12 licenses are assigned; remove licenses first.");
    expect(newQuantityProblem("12", 12)).toBeUndefined();
    expect(newQuantityProblem("0", 0)).toMatch(/at least 1/);
    expect(newQuantityProblem("2.5", 0)).toMatch(/whole number/);
    expect(newQuantityProblem("10001", 0)).toMatch(/at most 10,000/);
    expect(newQuantityProblem("", 0)).toMatch(/Enter/);
  });

  it("takes a usable quantity hint from the address only", () => {
    expect(quantityHint("30")).toBe(30);
    expect(quantityHint("0")).toBeUndefined();
    expect(quantityHint("abc")).toBeUndefined();
    expect(quantityHint(null)).toBeUndefined();
  });
});

describe("retry after", () => {
  const now = new Date("2026-12-01T10:00:00Z");

  it("reads seconds and HTTP dates", () => {
    expect(retryAt("30", now)?.toISOString()).toBe("2026-12-01T10:00:30.000Z");
    expect(retryAt("Tue, 01 Dec 2026 10:05:00 GMT", now)?.toISOString()).toBe(
      "2026-12-01T10:05:00.000Z",
    );
    expect(retryAt("soon", now)).toBeUndefined();
    expect(retryAt(undefined, now)).toBeUndefined();
  });

  it("says when to try again", () => {
    expect(tryAgainWords(new Date("2026-12-01T10:00:30Z"), now)).toBe("Try again after 30 seconds.");
    expect(tryAgainWords(new Date("2026-12-01T09:00:00Z"), now)).toBe("Try again now.");
    expect(tryAgainWords(new Date("2026-12-01T10:05:00Z"), now)).toMatch(/^Try again after .+\.$/);
  });
});
