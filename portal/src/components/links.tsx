import { Button, Link, type ButtonProps } from "@fluentui/react-components";
import type { MouseEvent, ReactNode } from "react";
import { useHref, useLinkClickHandler } from "react-router";

function useRouterLink(to: string) {
  const href = useHref(to);
  const handle = useLinkClickHandler<HTMLAnchorElement>(to);
  return {
    href,
    onClick: (event: MouseEvent<HTMLAnchorElement>) => {
      if (!event.defaultPrevented) handle(event);
    },
  };
}

/** A Fluent link that navigates inside the portal (a real href: opens in a new tab too). */
export function AppLink({
  to,
  children,
  className,
  inline,
}: {
  to: string;
  children: ReactNode;
  className?: string;
  inline?: boolean;
}) {
  const link = useRouterLink(to);
  return (
    <Link as="a" {...link} className={className} inline={inline}>
      {children}
    </Link>
  );
}

/** A Fluent button that is a link inside the portal. */
export function LinkButton({
  to,
  children,
  appearance,
  icon,
  size,
  className,
}: {
  to: string;
  children: ReactNode;
  appearance?: ButtonProps["appearance"];
  icon?: ButtonProps["icon"];
  size?: ButtonProps["size"];
  className?: string;
}) {
  const link = useRouterLink(to);
  return (
    <Button as="a" {...link} appearance={appearance} icon={icon} size={size} className={className}>
      {children}
    </Button>
  );
}
