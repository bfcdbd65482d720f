import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Roles } from '@portico/auth';
import { ApiProblemResponses } from '@portico/errors';
import { z } from 'zod';
import { utcDay } from './session-event.js';
import { SessionStatsReader, SessionStatsSchema } from './session-stats.js';

const DEFAULT_DAYS = 7;
const MAX_DAYS = 366;
const DAY_MS = 86_400_000;

const Day = z.iso.date({ error: 'expected a day as YYYY-MM-DD' });

/** `from`/`to` (UTC days, inclusive); `to` defaults to today and `from` to six days before `to`. */
export const SessionStatsQuerySchema = z
  .object({ from: Day.optional(), to: Day.optional() })
  .transform(({ from, to }) => {
    const end = to ?? utcDay(Date.now());
    return { from: from ?? utcDay(Date.parse(end) - (DEFAULT_DAYS - 1) * DAY_MS), to: end };
  })
  .superRefine(({ from, to }, context) => {
    if (from > to) context.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
    else if ((Date.parse(to) - Date.parse(from)) / DAY_MS + 1 > MAX_DAYS) {
      context.addIssue({ code: 'custom', path: ['from'], message: `the range may span at most ${MAX_DAYS} days` });
    }
  });

const SessionStatsReportSchema = z
  .object({
    from: z.iso.date(),
    to: z.iso.date(),
    items: z.array(SessionStatsSchema).describe('One item per day and client type that had sessions, by day then client type'),
  })
  .meta({ id: 'SessionStatsReport' });

type SessionStatsReport = z.infer<typeof SessionStatsReportSchema>;

/** Socket session analytics per day and client type; admins only. */
@ApiTags('analytics')
@ApiBearerAuth()
@Roles('admin')
@Controller({ path: 'analytics', version: '1' })
export class SessionStatsController {
  constructor(private readonly stats: SessionStatsReader) {}

  @Get('sessions')
  @ApiOperation({
    summary: 'Socket sessions per UTC day and client type: started, ended, average and p95 duration',
    description: 'Aggregated by the analytics worker from the session event stream (docs/analytics.md); in-process without Redis.',
  })
  @ApiQuery({ name: 'from', required: false, description: 'First UTC day, YYYY-MM-DD (default: six days before `to`)' })
  @ApiQuery({ name: 'to', required: false, description: 'Last UTC day, YYYY-MM-DD (default: today)' })
  @ApiOkResponse({ standardSchema: SessionStatsReportSchema, description: 'The aggregates of the range' })
  @ApiProblemResponses(400, 401, 403)
  async sessions(@Query({ schema: SessionStatsQuerySchema }) range: z.output<typeof SessionStatsQuerySchema>): Promise<SessionStatsReport> {
    return { ...range, items: await this.stats.read(range.from, range.to) };
  }
}
