import {
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  type MessageBarProps,
} from "@fluentui/react-components";
import { ApiProblem } from "@/lib/api-client";

/**
 * A failed request as people read it: the problem's detail, plus each field error that has no
 * field on the form to sit next to (pass the fields the form shows in `shownFields`).
 */
export function ProblemMessageBar({
  error,
  shownFields = [],
  intent = "error",
}: {
  error: unknown;
  shownFields?: string[];
  intent?: MessageBarProps["intent"];
}) {
  if (!error) return null;
  const problem = error instanceof ApiProblem ? error : new ApiProblem(0, {});
  const others = problem.errors.filter(
    (entry) => !shownFields.some((field) => entry.field === field || entry.field.startsWith(`${field}[`)),
  );
  return (
    <MessageBar intent={intent} layout="multiline">
      <MessageBarBody>
        <MessageBarTitle>{problem.title}</MessageBarTitle>
        {problem.detail !== problem.title ? problem.detail : null}
        {others.length > 0 ? (
          <ul>
            {others.map((entry, index) => (
              <li key={index}>
                {entry.field ? `${entry.field}: ` : ""}
                {entry.message}
              </li>
            ))}
          </ul>
        ) : null}
      </MessageBarBody>
    </MessageBar>
  );
}
