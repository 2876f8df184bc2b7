import { describe, expect, it } from "vitest";
import { ApiProblem, toProblem } from "@/lib/api-client";

describe("problems", () => {
  it("carries a problem document's code, detail and field errors", () => {
    const problem = toProblem(422, {
      title: "Invalid request",
      status: 422,
      code: "validation_failed",
      detail: "2 fields are invalid",
      errors: [
        { field: "emails[3]", message: "not an email address" },
        { field: "label", message: "too long" },
      ],
    });
    expect(problem).toBeInstanceOf(ApiProblem);
    expect(problem.code).toBe("validation_failed");
    expect(problem.detail).toBe("2 fields are invalid");
    expect(problem.fieldError("emails")).toBe("not an email address");
    expect(problem.fieldError("label")).toBe("too long");
    expect(problem.fieldError("name")).toBeUndefined();
  });

  it("never shows a body that is not a problem document", () => {
    const problem = toProblem(502, "<html>Bad gateway</html>");
    expect(problem.code).toBe("http_502");
    expect(problem.detail).not.toContain("<html>");
    expect(problem.errors).toEqual([]);
  });
});
