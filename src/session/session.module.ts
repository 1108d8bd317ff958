import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RoleModule } from '../role/role.module';
import { RefreshToken } from './entities/refresh-token.entity';
import { Session } from './entities/session.entity';
import { SessionController } from './session.controller';
import { SessionIssuer } from './session-issuer.service';
import { SessionService } from './session.service';

/** Sessions: the one place they are opened, rotated and ended (SessionIssuer), and their search and kick-out routes. */
@Module({
  imports: [TypeOrmModule.forFeature([Session, RefreshToken]), RoleModule],
  controllers: [SessionController],
  providers: [SessionIssuer, SessionService],
  exports: [SessionIssuer],
})
export class SessionModule {}
