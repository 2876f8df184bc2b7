import { RequireUser } from "@/features/auth/components/require-user";
import { Dashboard } from "@/features/subscriptions/components/dashboard";

export default function DashboardRoute() {
  return <RequireUser>{(me) => <Dashboard me={me} />}</RequireUser>;
}
