import {
  FluentProvider,
  makeStaticStyles,
  Toaster,
  webDarkTheme,
  webLightTheme,
} from "@fluentui/react-components";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState, useSyncExternalStore, type ReactNode } from "react";
import { ApiProblem } from "@/lib/api-client";

export const TOASTER_ID = "portal-toaster";

const DARK_QUERY = "(prefers-color-scheme: dark)";

function subscribeToColorScheme(onChange: () => void): () => void {
  const media = window.matchMedia(DARK_QUERY);
  media.addEventListener("change", onChange);
  return () => media.removeEventListener("change", onChange);
}

/** Whether the system asks for dark mode, following changes live. */
export function usePrefersDark(): boolean {
  return useSyncExternalStore(
    subscribeToColorScheme,
    () => window.matchMedia(DARK_QUERY).matches,
    () => false,
  );
}

function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        refetchOnWindowFocus: true,
        // A 4xx will answer the same again; retry only what may pass on a second try.
        retry: (failures, error) =>
          failures < 2 && !(error instanceof ApiProblem && error.status >= 400 && error.status < 500),
      },
    },
  });
}

const useGlobalStyles = makeStaticStyles({ body: { margin: 0 } });

export function AppProvider({ children }: { children: ReactNode }) {
  useGlobalStyles();
  const [queryClient] = useState(makeQueryClient);
  const dark = usePrefersDark();
  return (
    <QueryClientProvider client={queryClient}>
      {/* No className here: Fluent copies it onto every portal (toasts, dialogs), and a
          full-height one would cover the page. The layout's shell fills the screen. */}
      <FluentProvider theme={dark ? webDarkTheme : webLightTheme}>
        {children}
        <Toaster toasterId={TOASTER_ID} position="bottom-end" />
      </FluentProvider>
    </QueryClientProvider>
  );
}
