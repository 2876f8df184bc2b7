import { LinkButton } from "@/components/links";
import { PageHeader } from "@/components/page-header";

export default function NotFoundRoute() {
  return (
    <>
      <PageHeader title="Page not found" description="There is no page at this address." />
      <LinkButton to="/" appearance="primary">
        Go to your subscriptions
      </LinkButton>
    </>
  );
}
