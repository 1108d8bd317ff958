import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TicketKey } from './entities/ticket-key.entity';
import { TicketRevision } from './entities/ticket-revision.entity';
import { Ticket } from './entities/ticket.entity';
import { TicketController } from './ticket.controller';
import { TicketJwksRoute } from './ticket-jwks.route';
import { TicketJwksService } from './ticket-jwks.service';
import { TicketService } from './ticket.service';

@Module({
  imports: [TypeOrmModule.forFeature([Ticket, TicketKey, TicketRevision])],
  controllers: [TicketController],
  providers: [TicketService, TicketJwksService, TicketJwksRoute],
})
export class TicketModule {}
