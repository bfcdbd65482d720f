/** The gateway's response bodies, as the e2e suites read them (see apps/gateway/src/*.schema.ts). */
export interface SourceError {
  source: string;
  status: number;
  detail: string;
}

export interface Aggregate {
  partial: boolean;
  errors: SourceError[];
}

export interface Seat {
  playerId: string;
  displayName: string | null;
}

export interface TableView {
  id: string;
  name: string;
  game: string;
  stakes: string;
  capacity: number;
  openSeats: number;
  seats: Seat[];
}

export interface Lobby extends Aggregate {
  tables: TableView[];
}

export interface TableDetail extends Aggregate {
  table: TableView;
}

export interface Me extends Aggregate {
  player: { id: string; displayName: string; country: string; avatarUrl: string };
  stats: { gamesPlayed: number; wins: number; losses: number; rating: number; chips: number } | null;
  tables: { id: string; name: string }[] | null;
}

export interface Readiness {
  status: string;
  info: Record<string, { status: string }>;
  error: Record<string, { status: string }>;
  details: Record<string, { status: string; message?: string }>;
}
