import { describe, expect, it } from "vitest";
import { safeNextPath, signInPath } from "@/lib/next-path";

describe("safeNextPath", () => {
  it.each([
    ["/purchase?quantity=5&name=Contoso", "/purchase?quantity=5&name=Contoso"],
    ["/subscriptions/abc#licenses", "/subscriptions/abc#licenses"],
    ["/", "/"],
  ])("keeps a path on this site: %s", (next, expected) => {
    expect(safeNextPath(next)).toBe(expected);
  });

  it.each([
    null,
    "",
    "https://evil.example/",
    "//evil.example/path",
    "/\\evil.example",
    "javascript:alert(1)",
    "relative/path",
    "/\u0000x",
    "/\tevil",
  ])("refuses %j", (next) => {
    expect(safeNextPath(next)).toBe("/");
  });

  it("uses the fallback given", () => {
    expect(safeNextPath("//x", "/help")).toBe("/help");
  });
});

describe("signInPath", () => {
  it("carries the path back, encoded", () => {
    expect(signInPath("/purchase?quantity=5")).toBe("/sign-in?next=%2Fpurchase%3Fquantity%3D5");
  });
});
