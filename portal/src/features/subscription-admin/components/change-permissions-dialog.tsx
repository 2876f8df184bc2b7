import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
} from "@fluentui/react-components";
import { useState, type FormEvent } from "react";
import { ProblemMessageBar } from "@/components/problem-message-bar";
import type { Permission } from "@/lib/api-client";
import { useChangeAdmin } from "../api/change-admin";
import type { Administrator } from "../api/get-admins";
import { PERMISSION_ORDER, withView } from "../utils/permissions";
import { PermissionCheckboxes } from "./permission-checkboxes";
import { useSuccessToast } from "./use-success-toast";

/** Change what a delegated administrator may do (owner). */
export function ChangePermissionsDialog({
  subscriptionId,
  admin,
  onClose,
}: {
  subscriptionId: string;
  admin: Administrator;
  onClose: () => void;
}) {
  const [permissions, setPermissions] = useState(
    () => new Set(admin.permissions.filter((p): p is Permission => PERMISSION_ORDER.includes(p as Permission))),
  );
  const change = useChangeAdmin(subscriptionId);
  const toast = useSuccessToast();

  function submit(event: FormEvent) {
    event.preventDefault();
    change.mutate(
      { adminId: admin.id, permissions: withView(permissions) },
      {
        onSuccess: () => {
          onClose();
          toast(`Permissions of ${admin.email} changed`);
        },
      },
    );
  }

  return (
    <Dialog open onOpenChange={(_, data) => (data.open ? undefined : onClose())}>
      <DialogSurface>
        <form onSubmit={submit}>
          <DialogBody>
            <DialogTitle>Change permissions</DialogTitle>
            <DialogContent>
              <PermissionCheckboxes
                legend={`Permissions of ${admin.email}`}
                options={PERMISSION_ORDER}
                value={permissions}
                onChange={setPermissions}
              />
              <ProblemMessageBar error={change.error} />
            </DialogContent>
            <DialogActions>
              <Button appearance="secondary" onClick={onClose} disabled={change.isPending}>
                Cancel
              </Button>
              <Button type="submit" appearance="primary" disabled={change.isPending}>
                {change.isPending ? "Saving…" : "Save permissions"}
              </Button>
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}
