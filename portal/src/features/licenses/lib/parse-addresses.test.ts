import { describe, expect, it } from "vitest";
import { addressProblem, parseAddresses } from "./parse-addresses";

describe("parseAddresses", () => {
  it("takes one address per line", () => {
    const parsed = parseAddresses("ann@contoso.com\nbob@contoso.com\r\ncarl@fabrikam.com");
    expect(parsed.addresses).toEqual(["ann@contoso.com", "bob@contoso.com", "carl@fabrikam.com"]);
    expect(parsed.invalid).toEqual([]);
    expect(parsed.duplicates).toBe(0);
  });

  it("takes commas, semicolons and mixed separators", () => {
    const parsed = parseAddresses("ann@contoso.com, bob@contoso.com;carl@contoso.com ;\ndan@contoso.com,,");
    expect(parsed.addresses).toEqual([
      "ann@contoso.com",
      "bob@contoso.com",
      "carl@contoso.com",
      "dan@contoso.com",
    ]);
    expect(parsed.invalid).toEqual([]);
  });

  it("reads Outlook's display names and keeps the pasted text of each", () => {
    const parsed = parseAddresses("Ann Lee <ann@contoso.com>; bob@contoso.com");
    expect(parsed.addresses).toEqual(["ann@contoso.com", "bob@contoso.com"]);
    expect(parsed.originals["ann@contoso.com"]).toBe("Ann Lee <ann@contoso.com>");
  });

  it("keeps commas and semicolons inside quoted display names", () => {
    const parsed = parseAddresses('"Lee, Ann" <ann@contoso.com>, "Smith; Bob (IT)" <bob@contoso.com>');
    expect(parsed.addresses).toEqual(["ann@contoso.com", "bob@contoso.com"]);
    expect(parsed.invalid).toEqual([]);
  });

  it("joins Outlook's unquoted 'Last, First <address>' back together", () => {
    const parsed = parseAddresses("Lee, Ann <ann@contoso.com>; Smith, Bob <bob@contoso.com>");
    expect(parsed.addresses).toEqual(["ann@contoso.com", "bob@contoso.com"]);
    expect(parsed.originals["bob@contoso.com"]).toBe("Smith, Bob <bob@contoso.com>");
    expect(parsed.invalid).toEqual([]);
  });

  it("takes single-quoted names and addresses, mailto: and brackets", () => {
    const parsed = parseAddresses(
      "'Ann Lee' <ann@contoso.com>\n'bob@contoso.com'\nmailto:carl@contoso.com\n[dan@contoso.com]",
    );
    expect(parsed.addresses).toEqual([
      "ann@contoso.com",
      "bob@contoso.com",
      "carl@contoso.com",
      "dan@contoso.com",
    ]);
  });

  it("skips blank lines and surrounding whitespace, tabs included", () => {
    const parsed = parseAddresses("\n\n   ann@contoso.com   \n\t\n  \n\tbob@contoso.com\t\n\n");
    expect(parsed.addresses).toEqual(["ann@contoso.com", "bob@contoso.com"]);
    expect(parsed.invalid).toEqual([]);
  });

  it("takes a name and an address copied from two spreadsheet columns", () => {
    expect(parseAddresses("Ann Lee\tann@contoso.com").addresses).toEqual(["ann@contoso.com"]);
  });

  it("lower-cases addresses", () => {
    const parsed = parseAddresses("Ann.Lee@Contoso.COM\nBOB <BOB@CONTOSO.COM>");
    expect(parsed.addresses).toEqual(["ann.lee@contoso.com", "bob@contoso.com"]);
  });

  it("collapses duplicates, whatever their case or form, and counts them", () => {
    const parsed = parseAddresses(
      "ann@contoso.com\nANN@contoso.com\nAnn Lee <ann@contoso.com>; bob@contoso.com, bob@contoso.com",
    );
    expect(parsed.addresses).toEqual(["ann@contoso.com", "bob@contoso.com"]);
    expect(parsed.duplicates).toBe(3);
    expect(parsed.originals["ann@contoso.com"]).toBe("ann@contoso.com");
  });

  it("reports invalid addresses with their original text and keeps the good ones", () => {
    const parsed = parseAddresses(
      "Ann Lee <ann@contoso.com>; Bob Smith <bob@contoso>; carl(at)contoso.com; dan@@contoso.com\neve@contoso.com",
    );
    expect(parsed.addresses).toEqual(["ann@contoso.com", "eve@contoso.com"]);
    expect(parsed.invalid.map((entry) => entry.original)).toEqual([
      "Bob Smith <bob@contoso>",
      "carl(at)contoso.com",
      "dan@@contoso.com",
    ]);
    expect(parsed.invalid[0]?.reason).toBe("has a domain without a period");
    expect(parsed.invalid[1]?.reason).toBe("has no @");
    expect(parsed.invalid[2]?.reason).toBe("has more than one @");
  });

  it("reports a name without an address", () => {
    const parsed = parseAddresses("Ann Lee; bob@contoso.com");
    expect(parsed.invalid).toEqual([{ original: "Ann Lee", reason: "has no @" }]);
    expect(parsed.addresses).toEqual(["bob@contoso.com"]);
  });

  it("reports a space inside an address with the text as pasted", () => {
    const parsed = parseAddresses("ann lee@contoso.com");
    expect(parsed.invalid).toEqual([
      { original: "ann lee@contoso.com", reason: "has a space in it" },
    ]);
  });

  it("finds nothing in empty or blank text", () => {
    expect(parseAddresses("")).toEqual({ addresses: [], invalid: [], duplicates: 0, originals: {} });
    expect(parseAddresses(" ;\n , \n").addresses).toEqual([]);
  });

  it("keeps the order addresses were pasted in", () => {
    const parsed = parseAddresses("zoe@contoso.com; adam@contoso.com; mia@contoso.com");
    expect(parsed.addresses).toEqual(["zoe@contoso.com", "adam@contoso.com", "mia@contoso.com"]);
  });

  it("ignores an object's own property names as addresses", () => {
    expect(parseAddresses("constructor@contoso.com").addresses).toEqual(["constructor@contoso.com"]);
  });
});

describe("addressProblem", () => {
  it.each([
    "ann@contoso.com",
    "ann.lee+news@mail.contoso.co.uk",
    "o'brien@contoso.ie",
    "ann_lee@xn--bcher-kva.example.com",
    "a@b.io",
  ])("accepts %s", (email) => {
    expect(addressProblem(email)).toBeNull();
  });

  it.each([
    ["", "is empty"],
    ["ann", "has no @"],
    ["@contoso.com", "has nothing before the @"],
    ["ann@", "has no domain after the @"],
    ["ann@contoso", "has a domain without a period"],
    ["ann..lee@contoso.com", "has characters before the @ that an address cannot hold"],
    [".ann@contoso.com", "has characters before the @ that an address cannot hold"],
    ["ann@contoso..com", "has a domain that is not valid"],
    ["ann@-contoso.com", "has a domain that is not valid"],
    ["ann@contoso.c0m1", "has a domain that is not valid"],
    ["ann@contoso.local", "has a domain (.local) that never receives mail"],
    ["ann@server.test", "has a domain (.test) that never receives mail"],
    [`${"a".repeat(65)}@contoso.com`, "has more than 64 characters before the @"],
    [`ann@${"a".repeat(250)}.com`, "is longer than 254 characters"],
  ])("refuses %j: %s", (email, reason) => {
    expect(addressProblem(email)).toBe(reason);
  });
});
