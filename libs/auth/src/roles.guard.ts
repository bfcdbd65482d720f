import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ProblemException } from '@portico/errors';
import type { FastifyRequest } from 'fastify';
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
    if (!required || required.length === 0) return true;
    const principal = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>().user;
    if (principal && required.some((role) => principal.roles.includes(role))) return true;
    throw new ProblemException({
      status: 403,
      slug: 'forbidden',
      title: 'Forbidden',
      detail: `requires one of the roles: ${required.join(', ')}`,
    });
  }
}
