import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class ExchangeCodeDto {
  @ApiProperty({
    description: 'The one-time code a partner sign-in redirected with (60 s, single use)',
    example: 'Vb3kq9T0mZ1xQyL2cN8rH5sJ7uW4eA6dF0gP1iK3oM2',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  code!: string;
}
