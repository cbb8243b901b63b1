"""TenantGuard Graph sandbox."""
