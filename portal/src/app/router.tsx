import { createBrowserRouter, RouterProvider } from "react-router";
import { Layout } from "@/components/layout";
import { LoadingState } from "@/components/states";

// Each page is its own chunk: the first page loads only its own code.
const router = createBrowserRouter([
  {
    element: <Layout />,
    hydrateFallbackElement: <LoadingState />,
    children: [
      { index: true, lazy: () => import("@/app/routes/dashboard").then(page) },
      { path: "sign-in", lazy: () => import("@/app/routes/sign-in").then(page) },
      { path: "purchase", lazy: () => import("@/app/routes/purchase").then(page) },
      {
        path: "subscriptions/:subscriptionId",
        lazy: () => import("@/app/routes/subscription").then(page),
      },
      { path: "invitations/:token", lazy: () => import("@/app/routes/invitation").then(page) },
      { path: "help", lazy: () => import("@/app/routes/help").then(page) },
      { path: "help/:topic", lazy: () => import("@/app/routes/help").then(page) },
      { path: "*", lazy: () => import("@/app/routes/not-found").then(page) },
    ],
  },
]);

function page(module: { default: React.ComponentType }) {
  return { Component: module.default };
}

export function AppRouter() {
  return <RouterProvider router={router} />;
}
