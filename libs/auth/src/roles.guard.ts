import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { requireAnyRole } from './auth-problems.js';
import { REQUIRED_ROLES } from './decorators.js';
import type { Principal } from './principal.js';

/** Runs after JwtAuthGuard; allows the call when the principal holds any role the handler lists. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_ROLES, [
      context.getHandler(),
      context.getClass(),
    ]);
    requireAnyRole(context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>().user, required ?? []);
    return true;
  }
}
