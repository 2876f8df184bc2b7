import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  DialogTrigger,
} from "@fluentui/react-components";
import type { JSX, ReactNode } from "react";
import { ProblemMessageBar } from "@/components/problem-message-bar";

/**
 * A confirmation before a change that cannot be undone. `trigger` opens it; `onConfirm` runs
 * the change (a mutation's mutateAsync) and the dialog closes when it resolves, or shows the
 * problem when it fails.
 */
export function ConfirmDialog({
  trigger,
  title,
  children,
  confirmLabel,
  open,
  onOpenChange,
  onConfirm,
  pending = false,
  error,
}: {
  trigger?: JSX.Element;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  open?: boolean;
  onOpenChange?: (open: boolean) => void;
  onConfirm: () => void;
  pending?: boolean;
  error?: unknown;
}) {
  const surface = (
        <DialogSurface>
          <DialogBody>
            <DialogTitle>{title}</DialogTitle>
            <DialogContent>
              {children}
              <ProblemMessageBar error={error} />
            </DialogContent>
            <DialogActions>
              <DialogTrigger disableButtonEnhancement>
                <Button appearance="secondary" disabled={pending}>
                  Cancel
                </Button>
              </DialogTrigger>
              <Button appearance="primary" onClick={onConfirm} disabled={pending}>
                {pending ? "Working…" : confirmLabel}
              </Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
  );
  return (
    <Dialog modalType="alert" open={open} onOpenChange={(_, data) => onOpenChange?.(data.open)}>
      {trigger ? <DialogTrigger disableButtonEnhancement>{trigger}</DialogTrigger> : <></>}
      {surface}
    </Dialog>
  );
}
