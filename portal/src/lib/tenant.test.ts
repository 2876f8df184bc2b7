import { describe, expect, it } from "vitest";
import { adminConsentUrl, normalizeTenant } from "@/lib/tenant";

describe("normalizeTenant", () => {
  it.each([
    ["contoso.com", "contoso.com"],
    [" Contoso.OnMicrosoft.com ", "contoso.onmicrosoft.com"],
    ["it@contoso.com", "contoso.com"],
    ["https://contoso.com/", "contoso.com"],
    ["72F988BF-86F1-41AF-91AB-2D7CD011DB47", "72f988bf-86f1-41af-91ab-2d7cd011db47"],
  ])("reads %j", (raw, tenant) => {
    expect(normalizeTenant(raw)).toEqual({ tenant });
  });

  it.each(["", "contoso", "not a domain.com", "-bad.com"])("refuses %j", (raw) => {
    expect(normalizeTenant(raw).error).toBeTruthy();
    expect(normalizeTenant(raw).tenant).toBeUndefined();
  });

  it("builds the API's admin-consent link", () => {
    expect(adminConsentUrl("https://licenses.example.com", "contoso.com")).toBe(
      "https://licenses.example.com/api/admin-consent?tenant=contoso.com",
    );
  });
});
