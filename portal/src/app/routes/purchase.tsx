import { PurchaseForm } from "@/features/purchase/components/purchase-form";

export default function PurchaseRoute() {
  return <PurchaseForm />;
}
