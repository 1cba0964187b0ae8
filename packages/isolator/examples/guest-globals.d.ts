// Example lambdas run inside the guest, where `IsolatorHost` is a global: this brings its type.
import type {} from "isolator/guest";
