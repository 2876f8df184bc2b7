import {
  Button,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
} from "@fluentui/react-components";
import { AddRegular } from "@fluentui/react-icons";
import { useNavigate } from "react-router";
import type { ApiProblem, Subscription } from "@/lib/api-client";
import { licenses, notEnoughSeatsMessage } from "../lib/messages";

/** The all-or-nothing 409 `not_enough_seats`: how many are missing, and a way to add them. */
export function NotEnoughSeats({
  problem,
  subscription,
  onAddSeats,
}: {
  problem: ApiProblem;
  subscription: Subscription;
  onAddSeats: () => void;
}) {
  const navigate = useNavigate();
  const requested = Number(problem.body.requested);
  const available = Number(problem.body.available ?? subscription.available);
  const known = Number.isFinite(requested) && Number.isFinite(available) && requested > available;
  const missing = known ? requested - available : 0;
  const canAddSeats = subscription.permissions.includes("quantity");
  return (
    <MessageBar intent="warning" layout="multiline">
      <MessageBarBody>
        <MessageBarTitle>Not enough licenses</MessageBarTitle>
        {known ? notEnoughSeatsMessage(requested, available) : problem.detail} Nothing was assigned.
      </MessageBarBody>
      {canAddSeats && known ? (
        <MessageBarActions>
          <Button
            icon={<AddRegular />}
            onClick={() => {
              onAddSeats();
              const quantity = subscription.quantity + missing;
              void navigate(`?section=settings&quantity=${quantity}`);
            }}
          >
            Add {licenses(missing)}
          </Button>
        </MessageBarActions>
      ) : null}
    </MessageBar>
  );
}
