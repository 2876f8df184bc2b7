import { Card, makeStyles, Text, tokens } from "@fluentui/react-components";
import type { ReactNode } from "react";
import { AppLink } from "@/components/links";
import { PageHeader } from "@/components/page-header";
import { AdminConsentForm } from "@/features/help/components/admin-consent-form";
import NotFoundRoute from "@/app/routes/not-found";

const useStyles = makeStyles({
  article: {
    maxWidth: "46rem",
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalM,
    lineHeight: tokens.lineHeightBase400,
    fontSize: tokens.fontSizeBase400,
    // The column's gap spaces the blocks; the browser's own margins would double it.
    "& > *": { marginBlock: 0 },
    "& > h2": { marginTop: tokens.spacingVerticalL },
  },
  topics: {
    display: "grid",
    gridTemplateColumns: "repeat(auto-fill, minmax(16rem, 1fr))",
    gap: tokens.spacingHorizontalL,
    maxWidth: "60rem",
  },
  topic: { padding: tokens.spacingHorizontalL, display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS },
  table: { borderCollapse: "collapse", "& th, & td": { textAlign: "left", padding: tokens.spacingHorizontalS, borderBottom: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}` } },
});

interface Topic {
  slug: string;
  title: string;
  summary: string;
  body: () => ReactNode;
}

function H2({ children }: { children: ReactNode }) {
  return (
    <Text as="h2" size={500} weight="semibold">
      {children}
    </Text>
  );
}

const TOPICS: Topic[] = [
  {
    slug: "admin-approval",
    title: "Need admin approval",
    summary: "Why Outlook says “Need admin approval”, and the link your Microsoft 365 administrator needs.",
    body: () => (
      <>
        <p>
          For SecureMailMerge to work in your organization, a Microsoft 365 administrator may need to
          grant it permission once. Until then, people who open the add-in see “Need admin approval”.
          This is a setting of your organization, not a problem with your license.
        </p>
        <H2>Get the approval link</H2>
        <p>
          Enter your organization's domain (or its Microsoft Entra tenant ID). You get a link to send
          to your Microsoft 365 administrator; opening it asks them to approve SecureMailMerge for
          the whole organization.
        </p>
        <AdminConsentForm />
        <H2>Deploying the add-in for everyone</H2>
        <p>
          Administrators can also deploy the add-in organization-wide in Microsoft 365 Admin Center
          &gt; Settings &gt; Integrated Apps. That installs it for users automatically; licenses
          must still be assigned here, in the licensing portal.
        </p>
      </>
    ),
  },
  {
    slug: "installation-vs-licensing",
    title: "Installation vs. licensing",
    summary: "Installing the add-in and assigning a license are separate steps, managed in different places.",
    body: () => (
      <>
        <p>
          Installing SecureMailMerge and licensing it are separate steps, managed in different
          places:
        </p>
        <HelpTable
          head={["Component", "Managed in", "Purpose"]}
          rows={[
            ["Add-in installation", "Microsoft 365 Admin Center", "Controls who can access the add-in"],
            ["License assignment", "This licensing portal", "Controls who can use paid features"],
          ]}
        />
        <H2>Installing</H2>
        <ul>
          <li>Self-install: each user installs the add-in from the Get Add-ins menu in Outlook.</li>
          <li>
            Admin deployment: the IT administrator deploys it via Microsoft 365 Admin Center &gt;
            Integrated Apps.
          </li>
        </ul>
        <H2>Licensing</H2>
        <p>
          In both cases, the license you assign here is what removes the promotional footer. Open a
          subscription and choose <strong>Assign licenses</strong>; each person gets a welcome email
          with installation instructions. You do not need the add-in installed yourself to manage
          licenses.
        </p>
      </>
    ),
  },
  {
    slug: "shared-mailboxes",
    title: "Shared mailboxes",
    summary: "Using SecureMailMerge when sending from a shared mailbox.",
    body: () => (
      <>
        <p>
          SecureMailMerge works from shared mailboxes. A person sending from a shared mailbox is
          licensed when they hold a license themselves, or when the shared mailbox holds a license
          marked <strong>Shared mailbox</strong>: people who can open it then use the add-in without
          a license of their own.
        </p>
        <H2>License a shared mailbox</H2>
        <ol>
          <li>Open the subscription and choose <strong>Assign licenses</strong>.</li>
          <li>Enter the shared mailbox's address (for example sales@contoso.com).</li>
          <li>
            Tick <strong>Shared mailbox</strong>, then choose <strong>Assign</strong>.
          </li>
        </ol>
        <p>
          The license shows a <strong>Shared mailbox</strong> badge in the list. To mark or unmark a
          license already assigned, choose <strong>Edit</strong> in its row&apos;s menu. In a CSV
          import, a third column <code>shared_mailbox</code> of <code>true</code> does the same.
        </p>
        <H2>Who is covered</H2>
        <p>
          People of your organization&apos;s email domain who open the shared mailbox are licensed
          for it; people of other domains are not. Reassigning the license to another address
          removes the mark, since it described the old address.
        </p>
      </>
    ),
  },
];

function HelpTable({ head, rows }: { head: string[]; rows: string[][] }) {
  const styles = useStyles();
  return (
    <table className={styles.table}>
      <thead>
        <tr>
          {head.map((cell) => (
            <th key={cell} scope="col">
              {cell}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row[0]}>
            {row.map((cell) => (
              <td key={cell}>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function HelpPage({ topic }: { topic?: string }) {
  const styles = useStyles();
  if (!topic) {
    return (
      <>
        <PageHeader title="Help" description="Answers to the questions people ask most." />
        <div className={styles.topics}>
          {TOPICS.map((entry) => (
            <Card key={entry.slug} className={styles.topic}>
              <AppLink to={`/help/${entry.slug}`}>
                <Text size={400} weight="semibold">
                  {entry.title}
                </Text>
              </AppLink>
              <Text>{entry.summary}</Text>
            </Card>
          ))}
        </div>
      </>
    );
  }
  const page = TOPICS.find((entry) => entry.slug === topic);
  if (!page) return <NotFoundRoute />;
  return (
    <>
      <PageHeader title={page.title} />
      <article className={styles.article}>
        {page.body()}
        <p>
          <AppLink to="/help">All help topics</AppLink>
        </p>
      </article>
    </>
  );
}
