import { useParams } from "react-router";
import { HelpPage } from "@/features/help/components/help-page";

export default function HelpRoute() {
  const { topic } = useParams();
  return <HelpPage topic={topic} />;
}
