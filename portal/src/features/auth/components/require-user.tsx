import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { ErrorState, LoadingState } from "@/components/states";
import { useMe } from "@/features/auth/api/get-me";
import type { Me } from "@/lib/api-client";
import { signInPath } from "@/lib/next-path";

/** Renders its children for a signed-in user; sends anyone else to sign in and back here. */
export function RequireUser({ children }: { children: (me: Me) => ReactNode }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <LoadingState />;
  if (me.isError) return <ErrorState error={me.error} onRetry={() => void me.refetch()} />;
  if (!me.data) {
    return <Navigate replace to={signInPath(location.pathname + location.search)} />;
  }
  return <>{children(me.data)}</>;
}
