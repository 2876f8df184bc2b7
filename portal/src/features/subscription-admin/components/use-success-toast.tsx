import { Toast, ToastTitle, useToastController } from "@fluentui/react-components";
import { TOASTER_ID } from "@/app/provider";

/** A short confirmation in the portal's toaster ("Invitation sent to …"). */
export function useSuccessToast() {
  const { dispatchToast } = useToastController(TOASTER_ID);
  return (message: string) =>
    dispatchToast(
      <Toast>
        <ToastTitle>{message}</ToastTitle>
      </Toast>,
      { intent: "success" },
    );
}
