import {
  Button,
  makeStyles,
  Persona,
  Text,
  tokens,
} from "@fluentui/react-components";
import { QuestionCircleRegular, SignOutRegular } from "@fluentui/react-icons";
import { Suspense } from "react";
import { Link as RouterLink, Outlet, useLocation, useNavigate } from "react-router";
import { AppLink, LinkButton } from "@/components/links";
import { LoadingState } from "@/components/states";
import { useMe } from "@/features/auth/api/get-me";
import { useLogout } from "@/features/auth/api/logout";
import { signInPath } from "@/lib/next-path";

const useStyles = makeStyles({
  shell: { display: "flex", flexDirection: "column", minHeight: "100vh" },
  skip: {
    position: "absolute",
    left: "-10000px",
    top: tokens.spacingVerticalS,
    zIndex: 1000,
    padding: tokens.spacingHorizontalM,
    backgroundColor: tokens.colorNeutralBackground1,
    color: tokens.colorBrandForeground1,
    borderRadius: tokens.borderRadiusMedium,
    boxShadow: tokens.shadow8,
    ":focus": { left: tokens.spacingHorizontalS },
  },
  header: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "center",
    justifyContent: "space-between",
    columnGap: tokens.spacingHorizontalL,
    rowGap: tokens.spacingVerticalXS,
    paddingBlock: tokens.spacingVerticalS,
    paddingInline: tokens.spacingHorizontalL,
    backgroundColor: tokens.colorNeutralBackground3,
    borderBottom: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    minHeight: "48px",
  },
  brand: {
    color: tokens.colorNeutralForeground1,
    fontSize: tokens.fontSizeBase400,
    fontWeight: tokens.fontWeightSemibold,
    textDecorationLine: "none",
    ":hover": { textDecorationLine: "underline" },
  },
  nav: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "center",
    gap: tokens.spacingHorizontalS,
  },
  main: {
    flexGrow: 1,
    width: "100%",
    maxWidth: "1200px",
    marginInline: "auto",
    boxSizing: "border-box",
    paddingBlock: tokens.spacingVerticalXL,
    paddingInline: tokens.spacingHorizontalL,
    ":focus": { outlineStyle: "none" },
  },
  footer: {
    display: "flex",
    flexWrap: "wrap",
    gap: tokens.spacingHorizontalL,
    paddingBlock: tokens.spacingVerticalM,
    paddingInline: tokens.spacingHorizontalL,
    borderTop: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    color: tokens.colorNeutralForeground2,
  },
  user: {
    maxWidth: "260px",
    minWidth: 0,
    // On a phone the avatar alone stands for the account; the name stays for screen readers.
    "@media (max-width: 600px)": {
      "& .fui-Persona__primaryText, & .fui-Persona__secondaryText": {
        position: "absolute",
        width: "1px",
        height: "1px",
        overflow: "hidden",
        clipPath: "inset(50%)",
        whiteSpace: "nowrap",
      },
    },
  },
  account: { display: "flex", alignItems: "center", gap: tokens.spacingHorizontalS, minWidth: 0 },
});

function UserMenu() {
  const styles = useStyles();
  const me = useMe();
  const logout = useLogout();
  const navigate = useNavigate();
  const location = useLocation();

  if (me.isPending) return null;
  if (!me.data) {
    if (location.pathname === "/sign-in") return null;
    return (
      <LinkButton to={signInPath(location.pathname + location.search)} appearance="primary">
        Sign in
      </LinkButton>
    );
  }
  const user = me.data;
  return (
    <div className={styles.account}>
      <Persona
        className={styles.user}
        size="small"
        textAlignment="center"
        name={user.name || user.email}
        secondaryText={user.name ? user.email : undefined}
        avatar={{ color: "colorful", "aria-hidden": true }}
      />
      <Button
        appearance="subtle"
        icon={<SignOutRegular />}
        disabled={logout.isPending}
        onClick={() => logout.mutate(undefined, { onSuccess: () => void navigate("/sign-in") })}
      >
        Sign out
      </Button>
    </div>
  );
}

export function Layout() {
  const styles = useStyles();
  return (
    <div className={styles.shell}>
      <a className={styles.skip} href="#main">
        Skip to main content
      </a>
      <header className={styles.header}>
        <RouterLink to="/" className={styles.brand}>
          SecureMailMerge Licensing
        </RouterLink>
        <nav aria-label="Portal" className={styles.nav}>
          <LinkButton to="/help" appearance="subtle" icon={<QuestionCircleRegular />}>
            Help
          </LinkButton>
          <UserMenu />
        </nav>
      </header>
      <main id="main" tabIndex={-1} className={styles.main}>
        <Suspense fallback={<LoadingState />}>
          <Outlet />
        </Suspense>
      </main>
      <footer className={styles.footer}>
        <Text size={200}>SecureMailMerge Licensing</Text>
        <AppLink to="/help/admin-approval">Need admin approval</AppLink>
        <AppLink to="/help/installation-vs-licensing">Installation vs. licensing</AppLink>
        <AppLink to="/help/shared-mailboxes">Shared mailboxes</AppLink>
      </footer>
    </div>
  );
}
